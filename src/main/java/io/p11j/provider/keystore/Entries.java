// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.uri.Pkcs11Uri;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The entries of one token and their aliases, grouped from the indexed objects.
 *
 * <p><b>Pairing.</b> A private key takes the certificates with its {@code CKA_ID} (when no other
 * private key has that id); a key still without one takes the certificates carrying its label (when
 * no other private key has that label, and unless a certificate's public key is known to be another
 * one); a key still without one takes the certificates whose public key is its own — tools set ids
 * differently (or not at all), and each rule catches what the one before misses. The id rule reads
 * nothing more; the others read certificate values, and run only for keys and certificates left
 * unpaired. Certificates no key takes are trusted certificate entries; secret keys
 * are entries of their own.
 *
 * <p><b>Aliases.</b> An entry's alias is its key's label (a key entry's certificate label when the
 * key has none) when no other entry carries that label. Otherwise — no label, a shared label, or a
 * label that itself looks like a URI — the alias is the {@code pkcs11:} URI of the entry's key or
 * certificate made of object attributes only ({@code object}, {@code type}, {@code id}), the token
 * being implied. A URI that still matches several objects (two objects alike in class, label and id)
 * selects none of them.
 */
final class Entries {

    /** What grouping may need to read from the token, on demand (see {@link ObjectIndex}). */
    interface Details {
        /** A canonical form of the private key's public key, or null when it cannot be known. */
        String keyFingerprint(TokenObject privateKey) throws Pkcs11Exception;

        /** A canonical form of the certificate's public key, or null (unreadable certificate). */
        String certificateFingerprint(TokenObject certificate) throws Pkcs11Exception;

        /** A key entry's leaf certificate, or null when it has none. */
        TokenObject leaf(Entry entry) throws Pkcs11Exception;
    }

    private final List<TokenObject> objects;
    private final List<Entry> entries;
    private final Map<String, List<Entry>> byAlias;
    private final Map<Long, Entry> byHandle;
    private final List<String> aliases;

    private Entries(List<TokenObject> objects, List<Entry> entries) {
        this.objects = objects;
        this.entries = entries;
        this.byAlias = new HashMap<>();
        this.byHandle = new HashMap<>();
        Set<String> distinct = new LinkedHashSet<>();
        for (Entry e : entries) {
            byAlias.computeIfAbsent(e.alias(), k -> new ArrayList<>(1)).add(e);
            distinct.add(e.alias());
            byHandle.put(e.primary().handle(), e);
            for (TokenObject c : e.certificates()) {
                byHandle.put(c.handle(), e);
            }
        }
        this.aliases = List.copyOf(distinct);
    }

    /** Groups {@code objects} (private keys, secret keys, certificates) into entries and names them. */
    static Entries group(List<TokenObject> objects, Details details) throws Pkcs11Exception {
        List<TokenObject> keys = new ArrayList<>();
        List<TokenObject> secrets = new ArrayList<>();
        List<TokenObject> certs = new ArrayList<>();
        for (TokenObject o : objects) {
            if (o.isPrivateKey()) {
                keys.add(o);
            } else if (o.isSecretKey()) {
                secrets.add(o);
            } else if (o.isCertificate()) {
                certs.add(o);
            }
        }
        Map<TokenObject, List<TokenObject>> paired = new IdentityHashMap<>();
        Set<Long> taken = new HashSet<>();

        // 1. By CKA_ID, when the key's id is its own.
        Map<String, Integer> keyIds = count(keys, TokenObject::hasId, TokenObject::idKey);
        Map<String, List<TokenObject>> certsById = index(certs, TokenObject::hasId, TokenObject::idKey);
        for (TokenObject k : keys) {
            if (k.hasId() && keyIds.get(k.idKey()) == 1) {
                take(k, certsById.get(k.idKey()), paired, taken);
            }
        }
        // 2. By label, when the key's label is its own.
        Map<String, Integer> keyLabels = count(keys, TokenObject::hasLabel, TokenObject::label);
        Map<String, List<TokenObject>> certsByLabel = index(untaken(certs, taken), TokenObject::hasLabel, TokenObject::label);
        for (TokenObject k : keys) {
            if (!paired.containsKey(k) && k.hasLabel() && keyLabels.get(k.label()) == 1) {
                take(k, sameKey(k, certsByLabel.get(k.label()), details), paired, taken);
            }
        }
        // 3. By public key: only for what is left on both sides (reads certificate values).
        List<TokenObject> looseCerts = untaken(certs, taken);
        if (!looseCerts.isEmpty()) {
            Map<String, List<TokenObject>> certsByKey = null;
            for (TokenObject k : keys) {
                if (paired.containsKey(k)) {
                    continue;
                }
                String fp = details.keyFingerprint(k);
                if (fp == null) {
                    continue;
                }
                if (certsByKey == null) {
                    certsByKey = new HashMap<>();
                    for (TokenObject c : looseCerts) {
                        String cfp = details.certificateFingerprint(c);
                        if (cfp != null) {
                            certsByKey.computeIfAbsent(cfp, x -> new ArrayList<>()).add(c);
                        }
                    }
                }
                take(k, untaken(certsByKey.getOrDefault(fp, List.of()), taken), paired, taken);
            }
        }

        List<Entry> entries = new ArrayList<>();
        for (TokenObject k : keys) {
            entries.add(new Entry(Entry.Kind.PRIVATE_KEY, k, paired.getOrDefault(k, List.of())));
        }
        for (TokenObject s : secrets) {
            entries.add(new Entry(Entry.Kind.SECRET_KEY, s, List.of()));
        }
        for (TokenObject c : untaken(certs, taken)) {
            entries.add(new Entry(Entry.Kind.TRUSTED_CERTIFICATE, c, List.of(c)));
        }
        name(entries, objects, details);
        return new Entries(List.copyOf(objects), Collections.unmodifiableList(entries));
    }

    /**
     * A label is a weaker link than an id: of the certificates a key's label names, those whose
     * public key is known to be another key's are left out (a label can be reused for anything).
     */
    private static List<TokenObject> sameKey(TokenObject key, List<TokenObject> certs, Details details) throws Pkcs11Exception {
        if (certs == null || certs.isEmpty()) {
            return certs;
        }
        String fp = details.keyFingerprint(key);
        if (fp == null) {
            return certs;
        }
        List<TokenObject> out = new ArrayList<>();
        for (TokenObject c : certs) {
            String cfp = details.certificateFingerprint(c);
            if (cfp == null || cfp.equals(fp)) {
                out.add(c);
            }
        }
        return out;
    }

    private static void take(TokenObject key, List<TokenObject> certs, Map<TokenObject, List<TokenObject>> paired,
                             Set<Long> taken) {
        if (certs == null || certs.isEmpty()) {
            return;
        }
        List<TokenObject> mine = untaken(certs, taken);
        if (!mine.isEmpty()) {
            paired.put(key, mine);
            mine.forEach(c -> taken.add(c.handle()));
        }
    }

    private static List<TokenObject> untaken(List<TokenObject> certs, Set<Long> taken) {
        List<TokenObject> out = new ArrayList<>(certs.size());
        for (TokenObject c : certs) {
            if (!taken.contains(c.handle())) {
                out.add(c);
            }
        }
        return out;
    }

    private static Map<String, Integer> count(List<TokenObject> objects, java.util.function.Predicate<TokenObject> has,
                                              java.util.function.Function<TokenObject, String> key) {
        Map<String, Integer> out = new HashMap<>();
        for (TokenObject o : objects) {
            if (has.test(o)) {
                out.merge(key.apply(o), 1, Integer::sum);
            }
        }
        return out;
    }

    private static Map<String, List<TokenObject>> index(List<TokenObject> objects, java.util.function.Predicate<TokenObject> has,
                                                        java.util.function.Function<TokenObject, String> key) {
        Map<String, List<TokenObject>> out = new HashMap<>();
        for (TokenObject o : objects) {
            if (has.test(o)) {
                out.computeIfAbsent(key.apply(o), k -> new ArrayList<>()).add(o);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- aliases

    private static void name(List<Entry> entries, List<TokenObject> objects, Details details) throws Pkcs11Exception {
        // Which entry carries each label, and which labels several do: an alias must be carried by its entry alone.
        Map<String, Entry> carriers = new HashMap<>();
        Set<String> shared = new HashSet<>();
        for (Entry e : entries) {
            carry(carriers, shared, e.primary(), e);
            for (TokenObject c : e.certificates()) {
                carry(carriers, shared, c, e);
            }
        }
        UriAliases uris = null; // counted only if some entry needs a URI alias
        for (Entry e : entries) {
            String label = candidateLabel(e, details);
            boolean usable = label != null && !looksLikeUri(label) && !shared.contains(label);
            if (!usable && uris == null) {
                uris = new UriAliases(objects);
            }
            e.alias(usable ? label : uris.of(e.primary()));
        }
    }

    private static void carry(Map<String, Entry> carriers, Set<String> shared, TokenObject o, Entry e) {
        if (o.hasLabel()) {
            Entry first = carriers.putIfAbsent(o.label(), e);
            if (first != null && first != e) {
                shared.add(o.label());
            }
        }
    }

    /** The label an entry would like as its alias: its key's, else (key entries) its certificate's. */
    private static String candidateLabel(Entry e, Details details) throws Pkcs11Exception {
        if (e.primary().hasLabel()) {
            return e.primary().label();
        }
        if (e.kind() != Entry.Kind.PRIVATE_KEY) {
            return null;
        }
        Set<String> labels = new LinkedHashSet<>();
        for (TokenObject c : e.certificates()) {
            if (c.hasLabel()) {
                labels.add(c.label());
            }
        }
        if (labels.size() <= 1) {
            return labels.isEmpty() ? null : labels.iterator().next();
        }
        TokenObject leaf = details.leaf(e); // certificates labelled differently: the leaf's label names the entry
        return leaf != null && leaf.hasLabel() ? leaf.label() : null;
    }

    /** A label starting with {@code pkcs11:} would be read back as a URI: such an entry gets its URI alias. */
    static boolean looksLikeUri(String alias) {
        return alias.length() >= 7 && alias.substring(0, 7).toLowerCase(Locale.ROOT).equals("pkcs11:");
    }

    /** Object-level URIs, with the counts that tell whether one is unique, computed once per grouping. */
    private static final class UriAliases {
        private final Map<String, Integer> counts = new HashMap<>();

        UriAliases(List<TokenObject> objects) {
            for (TokenObject o : objects) {
                String t = o.type().uriName();
                counts.merge(key(t, null, null), 1, Integer::sum);
                counts.merge(key(t, o.label(), null), 1, Integer::sum);
                counts.merge(key(t, null, o.idKey()), 1, Integer::sum);
                counts.merge(key(t, o.label(), o.idKey()), 1, Integer::sum);
            }
        }

        private static String key(String type, String label, String id) {
            return type + '\0' + (label == null ? "*" : "=" + label) + '\0' + (id == null ? "*" : "=" + id);
        }

        /** {@code pkcs11:object=…;type=…;id=…} with what the object has; empty label and id spelt out only if that makes it unique. */
        String of(TokenObject o) {
            String t = o.type().uriName();
            String label = o.hasLabel() ? o.label() : null;
            String id = o.hasId() ? o.idKey() : null;
            Pkcs11Uri.Builder b = Pkcs11Uri.builder().type(o.type());
            if (label != null) {
                b.object(label);
            }
            if (id != null) {
                b.id(o.id());
            }
            if (counts.getOrDefault(key(t, label, id), 0) > 1 && (label == null || id == null)) {
                // "no label" and "no id" are values too: object= and id= match only objects without them.
                b.object(o.label()).id(o.id());
            }
            return b.build().format(false);
        }
    }

    // ---------------------------------------------------------------- lookups

    /** The indexed objects (private keys, secret keys, certificates). */
    List<TokenObject> objects() {
        return objects;
    }

    List<Entry> entries() {
        return entries;
    }

    /** Distinct aliases, in the token's order. */
    List<String> aliases() {
        return aliases;
    }

    /** The entry whose alias is exactly {@code alias}; null when none, or when several share it (indistinguishable objects). */
    Entry byAlias(String alias) {
        List<Entry> found = byAlias.get(alias);
        return found != null && found.size() == 1 ? found.get(0) : null;
    }

    /** The entry holding the object {@code handle}, or null. */
    Entry byHandle(long handle) {
        return byHandle.get(handle);
    }

    /**
     * The entry the object attributes of {@code uri} select: every indexed object it matches must
     * belong to that one entry (a key and its certificate are one entry). Null when it matches
     * nothing or objects of several entries — never an arbitrary one of them.
     */
    Entry resolve(Pkcs11Uri uri) {
        Entry found = null;
        for (TokenObject o : objects) {
            if (uri.matchesObject(o.info())) {
                Entry e = byHandle.get(o.handle());
                if (e == null || (found != null && found != e)) {
                    return null;
                }
                found = e;
            }
        }
        return found;
    }
}
