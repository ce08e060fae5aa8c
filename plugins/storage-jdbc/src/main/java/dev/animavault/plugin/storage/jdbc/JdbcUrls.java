package dev.animavault.plugin.storage.jdbc;

import java.util.regex.Pattern;

/** Makes JDBC URLs fit for messages and logs: passwords in the URL are masked. */
final class JdbcUrls {
    /** {@code password=...} (and {@code sslpassword=...}) query parameters, up to the next separator. */
    private static final Pattern PASSWORD_PARAM =
            Pattern.compile("(?i)((?:^|[?&;])(?:ssl)?password=)[^&;]*");
    /** {@code //user:secret@host} user info. */
    private static final Pattern USER_INFO = Pattern.compile("(//[^/:@?]*:)[^@/?]*@");

    private JdbcUrls() {
    }

    static String redact(String url) {
        if (url == null) {
            return "null";
        }
        String out = PASSWORD_PARAM.matcher(url).replaceAll("$1<masked>");
        return USER_INFO.matcher(out).replaceAll("$1<masked>@");
    }
}
