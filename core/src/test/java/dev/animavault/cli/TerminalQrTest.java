package dev.animavault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nayuki.qrcodegen.QrCode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The terminal rendering of a QR code holds exactly the library's matrix, quiet zone included. */
class TerminalQrTest {
    private static final String URI = "otpauth://totp/Anima%20Vault:default%2Fcleo?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            + "&issuer=Anima%20Vault&algorithm=SHA1&digits=6&period=30";

    @Test
    void theHalfBlocksDecodeBackToTheMatrixWithAQuietZone() {
        QrCode qr = TerminalQr.encode(URI);
        String text = TerminalQr.render(qr, false);
        List<String> lines = text.lines().toList();
        int size = qr.size + 2 * TerminalQr.QUIET;
        assertEquals((size + 1) / 2, lines.size());
        for (int row = 0; row < lines.size(); row++) {
            String line = lines.get(row);
            assertEquals(size, line.length(), "line " + row);
            for (int x = 0; x < size; x++) {
                char c = line.charAt(x);
                boolean top = c == '█' || c == '▀';
                boolean bottom = c == '█' || c == '▄';
                assertEquals(module(qr, x, 2 * row), top, "module " + x + "," + 2 * row);
                assertEquals(module(qr, x, 2 * row + 1), bottom, "module " + x + "," + (2 * row + 1));
            }
        }
        // the same URI always draws the same code, and the colour form only wraps the lines
        assertEquals(text, TerminalQr.render(TerminalQr.encode(URI), false));
        String ansi = TerminalQr.render(qr, true);
        assertEquals(text, ansi.replace("\u001b[30;47m", "").replace("\u001b[0m", ""));
        assertTrue(qr.getModule(0, 0) && qr.getModule(6, 6) && !qr.getModule(7, 7), "finder pattern corner");
    }

    private static boolean module(QrCode qr, int x, int y) {
        return qr.getModule(x - TerminalQr.QUIET, y - TerminalQr.QUIET);
    }
}
