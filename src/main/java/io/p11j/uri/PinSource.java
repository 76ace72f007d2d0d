// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The file a {@code pin-source} names, and reading the PIN from it.
 *
 * <p>Only files: a {@code pin-source} is either a {@code file:} URI ({@code file:/etc/token},
 * {@code file:///etc/token}, {@code file://localhost/etc/token}) or an absolute path. Everything
 * else is refused, never run or fetched: {@code |command} (p11-kit's and GnuTLS's program
 * sources), {@code env:}, {@code http:} and any other scheme, and a relative path (relative to
 * what? the process's working directory is not something a URI should depend on). The text after
 * {@code file:} is taken literally: the {@code pkcs11:} URI has already been percent-decoded once,
 * and decoding it a second time would make {@code %41} in a file name ambiguous.
 *
 * <p>Reading ({@link #readPin()}): the file must be a regular file, no larger than
 * {@value #MAX_PIN_FILE_BYTES} bytes, and, where the file system has POSIX permissions, writable by
 * its owner only (a PIN file that others can write lets them choose the PIN we send, and so make us
 * lock the token). One trailing newline ({@code \n} or {@code \r\n}) is dropped, as {@code echo}
 * and editors add one. The bytes are decoded as UTF-8 straight into a {@code char[]}, never into a
 * {@code String}, and every intermediate buffer is wiped.
 */
public final class PinSource {

    /** The largest PIN file read; a PIN is short, and a large file is the wrong file. */
    public static final int MAX_PIN_FILE_BYTES = 4096;

    private final Path path;

    private PinSource(Path path) {
        this.path = path;
    }

    /**
     * The source a {@code pin-source} value names.
     *
     * @throws PinSourceException when it is not a {@code file:} URI or an absolute path
     */
    public static PinSource of(String pinSource) throws PinSourceException {
        Objects.requireNonNull(pinSource, "pinSource");
        String path;
        if (pinSource.regionMatches(true, 0, "file:", 0, 5)) {
            path = pinSource.substring(5);
            if (path.startsWith("//")) {
                int slash = path.indexOf('/', 2);
                String authority = slash < 0 ? path.substring(2) : path.substring(2, slash);
                if (!authority.isEmpty() && !authority.equalsIgnoreCase("localhost")) {
                    throw new PinSourceException("pin-source " + pinSource + " names a file on host '" + authority
                            + "'; only local files are read (file:/path or file:///path)");
                }
                path = slash < 0 ? "" : path.substring(slash);
            }
        } else if (hasScheme(pinSource)) {
            // Only the scheme is shown: the rest may be a secret (env:PIN=…, a URL with a token).
            throw new PinSourceException("a pin-source with scheme '" + pinSource.substring(0, pinSource.indexOf(':'))
                    + ":' is refused: only a file (file:/absolute/path or /absolute/path) is read;"
                    + " commands, environment variables and URLs are never run or fetched");
        } else if (pinSource.startsWith("|")) {
            // Not shown at all: "|echo 1234" would print the PIN.
            throw new PinSourceException("a pin-source that is a command ('|…') is refused: a pin-source is never"
                    + " run as a command; use a file (file:/absolute/path)");
        } else {
            path = pinSource;
        }
        return ofPath(path, pinSource);
    }

    /**
     * The source of a URI's {@code pin-source}, or empty when it has none.
     *
     * @throws PinSourceException when the URI's pin-source is refused
     */
    public static Optional<PinSource> of(Pkcs11Uri uri) throws PinSourceException {
        Optional<String> source = uri.pinSource();
        return source.isPresent() ? Optional.of(of(source.get())) : Optional.empty();
    }

    /**
     * The source for a file.
     *
     * @throws PinSourceException when the path is not absolute
     */
    public static PinSource of(Path file) throws PinSourceException {
        Objects.requireNonNull(file, "file");
        if (!file.isAbsolute()) {
            throw new PinSourceException("PIN file " + file + " is a relative path; give an absolute one");
        }
        return new PinSource(file.normalize());
    }

    private static PinSource ofPath(String path, String original) throws PinSourceException {
        if (!Pkcs11UriParser.isAbsolutePath(path)) {
            throw new PinSourceException("pin-source " + describe(original)
                    + " is not an absolute path; a relative one is refused (file:/absolute/path)");
        }
        try {
            return of(Path.of(path));
        } catch (InvalidPathException e) {
            throw new PinSourceException("pin-source " + describe(original) + " is not a valid path: " + e.getReason());
        }
    }

    /** A scheme of two or more characters (one letter and a colon is a Windows drive). */
    private static boolean hasScheme(String s) {
        int colon = s.indexOf(':');
        if (colon < 2 || !isAsciiLetter(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < colon; i++) {
            char c = s.charAt(i);
            if (!(isAsciiLetter(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** A refused path, quoted and shortened: it is not a secret, but it is someone else's text. */
    private static String describe(String s) {
        return "'" + (s.length() > 80 ? s.substring(0, 77) + "..." : s) + "'";
    }

    /** The PIN file. */
    public Path path() {
        return path;
    }

    /**
     * Reads the PIN. The caller wipes the result ({@code Arrays.fill(pin, '\0')}) when done.
     *
     * @throws PinSourceException when the file is refused (not a regular file, writable by group
     *                            or others, too large, not UTF-8)
     * @throws IOException        when it cannot be read, e.g. {@link java.nio.file.NoSuchFileException}
     */
    public char[] readPin() throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new PinSourceException("PIN file " + path + " is not a regular file");
        }
        checkPermissions();
        byte[] bytes = new byte[MAX_PIN_FILE_BYTES + 1];
        char[] chars = null;
        try {
            int length = readAll(bytes);
            if (length > MAX_PIN_FILE_BYTES) {
                throw new PinSourceException("PIN file " + path + " is larger than " + MAX_PIN_FILE_BYTES
                        + " bytes; is it the right file?");
            }
            if (length > 0 && bytes[length - 1] == '\n') {
                length--;
                if (length > 0 && bytes[length - 1] == '\r') {
                    length--;
                }
            }
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            chars = new char[length];
            CharBuffer out = CharBuffer.wrap(chars);
            CoderResult result = decoder.decode(ByteBuffer.wrap(bytes, 0, length), out, true);
            if (!result.isError()) {
                result = decoder.flush(out);
            }
            if (result.isError()) {
                throw new PinSourceException("PIN file " + path + " is not valid UTF-8");
            }
            return Arrays.copyOf(chars, out.position());
        } finally {
            Arrays.fill(bytes, (byte) 0);
            if (chars != null) {
                Arrays.fill(chars, '\0');
            }
        }
    }

    private void checkPermissions() throws IOException {
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
        if (permissions.contains(PosixFilePermission.GROUP_WRITE) || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new PinSourceException("PIN file " + path + " can be written by "
                    + (permissions.contains(PosixFilePermission.GROUP_WRITE) ? "its group" : "others")
                    + " (" + PosixFilePermissions.toString(permissions) + "); a PIN file must be writable by its"
                    + " owner only: chmod go-w " + path);
        }
    }

    /** Reads up to {@code buffer.length} bytes; a result of {@code buffer.length} means "at least". */
    private int readAll(byte[] buffer) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buffer);
        try (SeekableByteChannel channel = Files.newByteChannel(path, StandardOpenOption.READ)) {
            while (b.hasRemaining() && channel.read(b) >= 0) {
                // keep reading: a channel may return fewer bytes than asked
            }
        }
        return b.position();
    }

    @Override
    public String toString() {
        return "PinSource[" + path + "]";
    }
}
