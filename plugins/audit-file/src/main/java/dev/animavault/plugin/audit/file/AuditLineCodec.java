package dev.animavault.plugin.audit.file;

import dev.animavault.spi.Timestamps;
import dev.animavault.spi.audit.AuditEvent;
import java.time.Instant;

/**
 * The audit line's format, shared by its writer {@link AuditLineEncoder} and its reader
 * {@link AuditLineDecoder}: one JSON object (no newline) per {@link AuditEvent}. Field order is fixed;
 * null fields and empty details are left out; details are written sorted by key. Decoding refuses
 * duplicate fields, trailing content and missing required fields, and ignores unknown fields (room for
 * later versions).
 *
 * <p>The bytes are what Jackson's {@code JsonGenerator} wrote (the earlier encoder; files it wrote stay
 * valid, see the compatibility test): UTF-8; {@code "} and {@code \} escaped with a backslash; the
 * control characters below U+0020 as {@code \b \t \n \f \r} or a six-character {@code \}{@code u00XX}
 * escape with upper-case hex; DEL, U+2028, U+2029 and every other non-ASCII character raw, except
 * surrogates: <em>every</em> surrogate char, paired or not, is its own six-character escape (an emoji is
 * two escapes; an unpaired surrogate still gives valid UTF-8 and decodes back to the same string). The
 * timestamp is the text of {@link Instant#toString()} (the whole second as {@link Timestamps#iso} formats
 * it, then the fraction); the version is a plain integer.
 *
 * <p>One deliberate difference: a details <em>key</em> holding an unpaired surrogate is written with
 * U+FFFD in place of each unpaired surrogate (and further U+FFFD appended while it equals another key),
 * because Jackson's parser refuses unpaired surrogates in field names: the earlier encoder wrote such
 * lines and then could not read them back (the file failed verification at the next open). Values,
 * and keys without unpaired surrogates, are kept exactly ({@link LoneSurrogateKeys}).
 */
final class AuditLineCodec {
    static final String ID = "id";
    static final String TIMESTAMP = "timestamp";
    static final String ACTION = "action";
    static final String OUTCOME = "outcome";
    static final String ORGANIZATION_ID = "organizationId";
    static final String IDENTITY_ID = "identityId";
    static final String SECRET_KEY = "secretKey";
    static final String VERSION = "version";
    static final String ACTOR = "actor";
    static final String REQUEST_ID = "requestId";
    static final String REMOTE_ADDRESS = "remoteAddress";
    static final String ERROR_CODE = "errorCode";
    static final String DETAILS = "details";
    static final String PREV = "prev";

    /** Length of a SHA-256 hash in bytes. */
    static final int HASH_BYTES = 32;

    private AuditLineCodec() {
    }

    /** A decoded line: the event and the hash of the line before it. */
    record Decoded(AuditEvent event, String prev) {
    }

    /** Thrown when a line is not a well-formed event. Its message names the problem, not line content. */
    static final class MalformedLineException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedLineException(String message) {
            super(message);
        }
    }
}
