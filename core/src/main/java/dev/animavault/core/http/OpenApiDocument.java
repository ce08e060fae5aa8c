package dev.animavault.core.http;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /v1/openapi.json}: the OpenAPI 3.1 document of the API, kept in the repository at
 * {@code core/src/main/resources/openapi/v1.json} and served as it is. {@code OpenApiDriftTest} fails
 * when the server routes something the document does not describe, or the other way round.
 */
final class OpenApiDocument {
    /** Where the document is on the class path. */
    static final String RESOURCE = "/openapi/v1.json";

    private OpenApiDocument() {
    }

    private static final class Holder {
        static final byte[] BYTES = load();

        private static byte[] load() {
            try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
                return in == null ? null : in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The document's bytes (UTF-8 JSON). */
    static byte[] bytes() {
        byte[] b = Holder.BYTES;
        if (b == null) {
            throw new VaultException(ErrorCode.INTERNAL, "the OpenAPI document " + RESOURCE + " is missing from the class path");
        }
        return b;
    }

    /** Sends the document; no authentication, like health: it describes the API, nothing stored. */
    static void serve(ServerRequest req, ServerResponse res) {
        res.status(Status.OK_200);
        res.header(Api.CONTENT_TYPE_JSON);
        res.send(bytes());
    }
}
