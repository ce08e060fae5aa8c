package dev.animavault.cli;

import io.nayuki.qrcodegen.QrCode;

/**
 * A QR code as terminal text: two module rows per line with Unicode half blocks ({@code ▀ ▄ █}), a
 * four-module quiet zone, optionally wrapped in ANSI colours (black on white) so that it scans on dark
 * and light terminals alike. The QR matrix comes from Nayuki's qrcodegen (medium error correction).
 */
final class TerminalQr {
    /** Modules of light margin around the code (the QR standard's quiet zone). */
    static final int QUIET = 4;
    private static final String ANSI_START = "\u001b[30;47m";
    private static final String ANSI_END = "\u001b[0m";

    private TerminalQr() {
    }

    /** The QR code of {@code text} at medium error correction. */
    static QrCode encode(String text) {
        return QrCode.encodeText(text, QrCode.Ecc.MEDIUM);
    }

    /** Renders {@code qr}: one line per two module rows, each ending in a newline. */
    static String render(QrCode qr, boolean ansi) {
        int size = qr.size + 2 * QUIET;
        StringBuilder sb = new StringBuilder();
        for (int y = 0; y < size; y += 2) {
            if (ansi) {
                sb.append(ANSI_START);
            }
            for (int x = 0; x < size; x++) {
                boolean top = dark(qr, x, y);
                boolean bottom = y + 1 < size && dark(qr, x, y + 1);
                sb.append(top ? (bottom ? '█' : '▀') : (bottom ? '▄' : ' '));
            }
            if (ansi) {
                sb.append(ANSI_END);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static boolean dark(QrCode qr, int x, int y) {
        return qr.getModule(x - QUIET, y - QUIET); // false outside the code: the quiet zone
    }
}
