// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.provider.service.ServiceDescriptor;
import io.p11j.provider.service.ServiceTable;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's algorithm table is what users read to know what P11J offers: it must name every
 * service the code can register, nothing else, and say truly what SoftHSM2 gets.
 */
@ExtendWith(SoftHsmExtension.class)
class ReadmeAlgorithmTableIT {

    private static final Pattern NAME = Pattern.compile("`([^`]+)`");

    @TempDir
    Path dir;

    private record Row(String type, List<String> algorithms, String onSoftHsm) {
    }

    private static List<Row> rows() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("\n## Algorithm table");
        assertThat(start).as("README has an algorithm table").isPositive();
        int end = readme.indexOf("\n## ", start + 1);
        List<Row> rows = new ArrayList<>();
        for (String line : readme.substring(start, end < 0 ? readme.length() : end).split("\n")) {
            if (!line.startsWith("| ") || line.startsWith("| type") || line.startsWith("|---")) {
                continue;
            }
            String[] cells = line.split("\\|");
            List<String> algorithms = new ArrayList<>();
            Matcher m = NAME.matcher(cells[2]);
            while (m.find()) {
                algorithms.add(m.group(1));
            }
            // "… and each `…inP1363Format`": the ECDSA row names the P1363 forms once for all
            if (cells[2].contains("each `…inP1363Format`")) {
                algorithms.remove("…inP1363Format");
                for (String a : List.copyOf(algorithms)) {
                    algorithms.add(a + "inP1363Format");
                }
            }
            rows.add(new Row(cells[1].strip(), algorithms, cells[4].strip()));
        }
        return rows;
    }

    @Test
    void theTableNamesExactlyTheServicesTheCodeCanRegister() throws Exception {
        Set<String> inReadme = new TreeSet<>();
        for (Row r : rows()) {
            for (String a : r.algorithms()) {
                inReadme.add(r.type() + "." + a);
            }
        }
        Set<String> inCode = new TreeSet<>();
        for (ServiceDescriptor d : ServiceTable.all()) {
            inCode.add(d.type() + "." + d.algorithm());
        }
        assertThat(inReadme).containsExactlyInAnyOrderElementsOf(inCode);
    }

    @Test
    void whatItSaysOfSoftHsm2IsTrue(TestToken token) throws Exception {
        Path conf = dir.resolve("all.conf");
        Files.writeString(conf, "token = " + ProviderFixture.uri(token, dir) + "\nmessage-digests = on\n");
        Provider p = new P11jProvider().configure(conf.toString());
        int checked = 0;
        for (Row r : rows()) {
            for (String a : r.algorithms()) {
                boolean registered = p.getService(r.type(), a) != null;
                if (r.onSoftHsm().startsWith("yes")) {
                    assertThat(registered).as(r.type() + "." + a + " on SoftHSM2").isTrue();
                    checked++;
                } else if (r.onSoftHsm().startsWith("no")) {
                    assertThat(registered).as(r.type() + "." + a + " not on SoftHSM2").isFalse();
                    checked++;
                }
            }
        }
        assertThat(checked).as("rows whose SoftHSM2 column is a plain yes or no").isGreaterThan(80);
    }
}
