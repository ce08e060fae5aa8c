package dev.animavault.cli;

import dev.animavault.client.Page;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** {@code --limit}, {@code --cursor}, {@code --all}: how list commands page. */
final class Paging {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "Items per page, 1-1000 (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--cursor", paramLabel = "CURSOR", description = "Continue after a previous page (its nextCursor).")
    String cursor;

    @Option(names = "--all", description = "Follow the cursor to the last page.")
    boolean all;

    /** The items of one page, or of every page with {@code --all}, and the cursor left over. */
    <T> Page<T> fetch(Function<String, Page<T>> call) {
        Page<T> page = call.apply(cursor);
        if (!all) {
            return page;
        }
        List<T> items = new ArrayList<>(page);
        while (page.nextCursor().isPresent()) {
            page = call.apply(page.nextCursor().get());
            items.addAll(page);
        }
        return Page.of(items, null);
    }

    /** Prints a page: JSON {@code {items, nextCursor}}, or the table and, on stderr, how to get the next page. */
    static <T> void print(Output out, java.io.PrintWriter err, Page<T> page, Function<T, Map<String, Object>> view,
                          List<String> header, Function<T, List<?>> row) {
        if (out.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("items", page.stream().map(view).toList());
            doc.put("nextCursor", page.nextCursor().orElse(null));
            out.json(doc);
            return;
        }
        out.table(header, page.stream().map(row).toList());
        page.nextCursor().ifPresent(c -> {
            err.println("(more: repeat with --cursor " + c + ", or use --all)");
            err.flush();
        });
    }
}
