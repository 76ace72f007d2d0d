// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PinSourceTest {

    @TempDir
    Path dir;

    @BeforeEach
    void posixOnly() {
        // Every test writes files with owner-only permissions; a file system without POSIX
        // permissions would not exercise the permission check.
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    }

    private Path pinFile(byte[] content, String permissions) throws IOException {
        Path file = Files.createTempFile(dir, "pin", ".txt");
        Files.write(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private Path pinFile(String content) throws IOException {
        return pinFile(content.getBytes(StandardCharsets.UTF_8), "rw-------");
    }

    @Test
    void readsAFileUriAndStripsOneTrailingNewline() throws Exception {
        Path file = pinFile("1234\n");

        assertThat(PinSource.of("file:" + file).readPin()).containsExactly('1', '2', '3', '4');
        assertThat(PinSource.of("file://" + file).readPin()).containsExactly('1', '2', '3', '4');
        assertThat(PinSource.of("file://localhost" + file).readPin()).containsExactly('1', '2', '3', '4');
        assertThat(PinSource.of(file.toString()).readPin()).containsExactly('1', '2', '3', '4');
        assertThat(PinSource.of(file).path()).isEqualTo(file);
    }

    @Test
    void stripsExactlyOneNewlineOfEitherKind() throws Exception {
        assertThat(PinSource.of(pinFile("1234\r\n")).readPin()).containsExactly("1234".toCharArray());
        assertThat(PinSource.of(pinFile("1234\n\n")).readPin()).containsExactly("1234\n".toCharArray());
        assertThat(PinSource.of(pinFile("1234")).readPin()).containsExactly("1234".toCharArray());
        assertThat(PinSource.of(pinFile(" 12 34 \n")).readPin()).containsExactly(" 12 34 ".toCharArray());
        assertThat(PinSource.of(pinFile("12\r")).readPin()).containsExactly("12\r".toCharArray());
        assertThat(PinSource.of(pinFile("\n")).readPin()).isEmpty();
        assertThat(PinSource.of(pinFile("")).readPin()).isEmpty();
    }

    @Test
    void decodesUtf8() throws Exception {
        assertThat(PinSource.of(pinFile("p\u00e4ss\u20ac\uD83D\uDD11\n")).readPin())
                .containsExactly("p\u00e4ss\u20ac\uD83D\uDD11".toCharArray());
    }

    @Test
    void refusesInvalidUtf8() throws Exception {
        Path file = pinFile(new byte[] {'1', (byte) 0xC3, '(', '\n'}, "rw-------");

        assertThatThrownBy(() -> PinSource.of(file).readPin()).isInstanceOf(PinSourceException.class)
                .hasMessageContaining("not valid UTF-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rw-rw----", "rw----rw-", "rw--w----", "r------w-", "rwxrwxrwx"})
    void refusesAFileThatOthersCanWrite(String permissions) throws Exception {
        // A PIN that cannot occur in the (random, digits-only) temp file name the message does contain.
        Path file = pinFile("pin:Secret".getBytes(StandardCharsets.UTF_8), permissions);

        assertThatThrownBy(() -> PinSource.of(file).readPin()).isInstanceOf(PinSourceException.class)
                .hasMessageContaining("can be written by")
                .hasMessageContaining("chmod go-w " + file)
                .hasMessageNotContaining("pin:Secret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rw-------", "r--------", "rw-r--r--", "rw-r-----"})
    void acceptsAFileOnlyItsOwnerCanWrite(String permissions) throws Exception {
        Path file = pinFile("1234".getBytes(StandardCharsets.UTF_8), permissions);

        assertThat(PinSource.of(file).readPin()).containsExactly("1234".toCharArray());
    }

    @Test
    void followsASymbolicLinkAndChecksTheTarget() throws Exception {
        Path target = pinFile("4321".getBytes(StandardCharsets.UTF_8), "rw-------");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);

        assertThat(PinSource.of(link).readPin()).containsExactly("4321".toCharArray());
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThatThrownBy(() -> PinSource.of(link).readPin()).isInstanceOf(PinSourceException.class);
    }

    @Test
    void refusesADirectoryAndALargeFile() throws Exception {
        assertThatThrownBy(() -> PinSource.of(dir).readPin()).isInstanceOf(PinSourceException.class)
                .hasMessageContaining("not a regular file");
        Path large = pinFile(new byte[PinSource.MAX_PIN_FILE_BYTES + 1], "rw-------");
        assertThatThrownBy(() -> PinSource.of(large).readPin()).isInstanceOf(PinSourceException.class)
                .hasMessageContaining("larger than");
        Path limit = pinFile("7".repeat(PinSource.MAX_PIN_FILE_BYTES).getBytes(StandardCharsets.US_ASCII), "rw-------");
        assertThat(PinSource.of(limit).readPin()).hasSize(PinSource.MAX_PIN_FILE_BYTES);
    }

    @Test
    void missingFileIsAnIoError() throws Exception {
        PinSource source = PinSource.of("file:" + dir.resolve("missing"));

        assertThatThrownBy(source::readPin).isInstanceOf(NoSuchFileException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"|cat /etc/pin", "|/bin/echo 1234", "env:PIN", "http://example.invalid/pin",
                            "https://example.invalid/pin", "exec:/bin/true", "ftp:/pin", "data:,1234",
                            "file://otherhost/etc/pin", "pin.txt", "./pin.txt", "file:pin.txt", "file:", "",
                            "~/pin", "C:pin"})
    void refusesEverythingButLocalFilesWithAbsolutePaths(String source) {
        assertThatThrownBy(() -> PinSource.of(source)).isInstanceOf(PinSourceException.class)
                .hasMessageContaining("pin-source")
                .hasMessageNotContaining("1234");
    }

    @Test
    void aCommandIsNeverRun() throws Exception {
        Path marker = dir.resolve("ran");

        assertThatThrownBy(() -> PinSource.of("|touch " + marker)).isInstanceOf(PinSourceException.class)
                .hasMessageContaining("never run");
        assertThat(marker).doesNotExist();
    }

    @Test
    void fromAUri() throws Exception {
        Path file = pinFile("9999\n");
        Pkcs11Uri uri = Pkcs11Uri.builder().token("t").pinSource("file:" + file).build();

        assertThat(PinSource.of(uri).orElseThrow().readPin()).containsExactly("9999".toCharArray());
        assertThat(PinSource.of(Pkcs11Uri.create("pkcs11:token=t"))).isEmpty();
        assertThatThrownBy(() -> PinSource.of(Pkcs11Uri.create("pkcs11:?pin-source=%7Cecho%201234")))
                .isInstanceOf(PinSourceException.class);
    }

    @Test
    void relativePathObjectIsRefused() {
        assertThatThrownBy(() -> PinSource.of(Path.of("pin.txt"))).isInstanceOf(PinSourceException.class)
                .hasMessageContaining("relative");
    }
}
