// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.uri.Pkcs11Uri;
import io.p11j.uri.Pkcs11UriSyntaxException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The "keystore file" of a {@code PKCS11-URI} KeyStore: a text file holding the token's
 * {@code pkcs11:} URI (UTF-8; blank lines and lines starting with {@code #} are skipped), so that
 * tools that insist on a keystore file ({@code keytool -keystore token.uri}) can name a token.
 */
final class UriText {

    /** A URI file is small; anything larger is not one. */
    static final int MAX_BYTES = 64 * 1024;

    private UriText() {
    }

    /** The URI in {@code in}. */
    static Pkcs11Uri read(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_BYTES + 1);
        char[] chars = null;
        try {
            if (bytes.length > MAX_BYTES) {
                throw new IOException("not a PKCS11-URI keystore: more than " + MAX_BYTES + " bytes (it should hold one pkcs11: URI)");
            }
            chars = decode(bytes);
            String line = firstLine(chars);
            if (line == null || !Entries.looksLikeUri(line)) {
                throw new IOException("not a PKCS11-URI keystore: it should hold a pkcs11: URI");
            }
            try {
                return Pkcs11Uri.parse(line);
            } catch (Pkcs11UriSyntaxException e) {
                throw new IOException("the keystore's pkcs11: URI is not valid: " + e.getMessage(), e); // messages mask PINs
            }
        } finally {
            Arrays.fill(bytes, (byte) 0); // the file may hold a pin-value
            if (chars != null) {
                Arrays.fill(chars, '\0');
            }
        }
    }

    /** Whether {@code in} starts like a URI file (for {@code KeyStore.getInstance(File, …)}). */
    static boolean probe(InputStream in) throws IOException {
        byte[] head = in.readNBytes(256);
        String s = new String(head, StandardCharsets.UTF_8).replace("\uFEFF", "");
        String line = firstLine(s.toCharArray());
        return line != null && Entries.looksLikeUri(line);
    }

    /** Writes {@code uri} without its {@code pin-value} (a {@code pin-source} is no secret and stays). */
    static void write(Pkcs11Uri uri, OutputStream out) throws IOException {
        out.write((uri.withoutPin().format(false) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static char[] decode(byte[] bytes) throws IOException {
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            char[] out = new char[cb.remaining()];
            cb.get(out);
            Arrays.fill(cb.array(), '\0');
            return out;
        } catch (CharacterCodingException e) {
            throw new IOException("not a PKCS11-URI keystore: not UTF-8 text", e);
        }
    }

    /** The first line that is neither blank nor a comment, stripped; null if none. */
    private static String firstLine(char[] text) {
        int i = 0;
        while (i < text.length) {
            int end = i;
            while (end < text.length && text[end] != '\n' && text[end] != '\r') {
                end++;
            }
            String line = new String(text, i, end - i).replace("\uFEFF", "").strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                return line;
            }
            i = end + 1;
        }
        return null;
    }
}
