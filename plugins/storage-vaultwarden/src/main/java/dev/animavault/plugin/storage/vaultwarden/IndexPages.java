package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Listings of the {@link ItemIndex}: a page of one of its sorted maps, continued after the key in the
 * cursor (the last key of the previous page, base64url of its UTF-8).
 */
final class IndexPages {
    private IndexPages() {
    }

    static <T> Page<T> page(ConcurrentSkipListMap<String, ItemIndex.Entry<T>> map, PageRequest page) {
        Map<String, ItemIndex.Entry<T>> view = map;
        if (page.cursor().isPresent()) {
            String after = decodeCursor(page.cursor().get());
            view = map.tailMap(after, false);
        }
        List<T> items = new ArrayList<>();
        String last = null;
        boolean more = false;
        for (Map.Entry<String, ItemIndex.Entry<T>> e : view.entrySet()) {
            if (items.size() == page.limit()) {
                more = true;
                break;
            }
            items.add(e.getValue().value());
            last = e.getKey();
        }
        return new Page<>(items, more ? Optional.of(encodeCursor(last)) : Optional.empty());
    }

    private static String encodeCursor(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeCursor(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the page cursor is not valid");
        }
    }
}
