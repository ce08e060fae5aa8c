// A cold walk through storage-jdbc alone (issue 19), two builds of the plugin in one JVM (each in its own class
// loader), measured in alternating rounds by the thread's CPU time per page: 100 identities of 100 secrets each
// per build, then rounds of 20 walks through the first page of 100 of each identity (10^4 rows: more than the
// plugin's row memo holds). For a shared machine: both builds see the same load in the same minute.
//
//   source scripts/java-env.sh
//   D=distribution/target/anima-vault-*/   # and a second unpacked distribution, e.g. a copy of main's
//   java -cp "$D/lib/anima-vault-spi-0.1.0-SNAPSHOT.jar:spi-testkit/target/anima-vault-spi-testkit-0.1.0-SNAPSHOT.jar:$(ls $D/lib/slf4j*.jar | tr '\n' ':')" \
//     bench/store-walk/StoreWalk.java DIST_A DIST_B
import dev.animavault.spi.*;
import dev.animavault.spi.storage.*;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.File;
import java.lang.management.*;
import java.net.*;
import java.nio.file.*;
import java.time.*;
import java.util.*;

/** See the comment at the top of the file. */
public class StoreWalk {
  static StorageBackend open(String dist, Path data) throws Exception {
    List<URL> urls = new ArrayList<>();
    urls.add(Path.of(dist, "plugins/storage-jdbc/classes").toUri().toURL());
    for (File f : new File(dist, "plugins/storage-jdbc/lib").listFiles()) if (!f.getName().contains("anima-vault-spi")) urls.add(f.toURI().toURL());
    ClassLoader cl = new URLClassLoader(urls.toArray(URL[]::new), StoreWalk.class.getClassLoader());
    Thread.currentThread().setContextClassLoader(cl);
    StorageBackendFactory f = (StorageBackendFactory) cl.loadClass("dev.animavault.plugin.storage.jdbc.JdbcStorageBackendFactory").getConstructor().newInstance();
    return f.create(ProviderConfig.of("jdbc", Map.of("read-cache", "off"), Set.of()), TestPluginContext.denyingEgress(data));
  }
  public static void main(String[] a) throws Exception {
    String[] dists = {a[0], a[1]};
    StorageBackend[] b = new StorageBackend[2];
    Instant t = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    for (int v = 0; v < 2; v++) {
      Path data = Files.createTempDirectory("walk6-store");
      b[v] = open(dists[v], data);
      for (int i = 0; i < 100; i++) {
        String id = String.format("walk_%03d", i);
        b[v].createIdentity(new Identity("org", id, id, Map.of(), false, t, t, 0));
        for (int k = 0; k < 100; k++) {
          SecretRef ref = new SecretRef("org", id, "W_" + (i * 100 + k));
          b[v].createSecret(new SecretMetadata(ref, "api_key", 1, Map.of(), Map.of("_mac", "v1.1.0.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg", "hint", "sk-0...cdef"), t, t, 0),
              new SecretVersion(ref, 1, new byte[40], t, "bench"));
        }
      }
      System.out.println("loaded " + dists[v]);
    }
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    for (int round = 0; round < 10; round++) {
      for (int v = 0; v < 2; v++) {
        long t0 = mx.getCurrentThreadCpuTime(); int pages = 0; long n = 0;
        for (int c = 0; c < 20; c++) for (int i = 0; i < 100; i++) {
          n += b[v].listSecrets("org", String.format("walk_%03d", i), new PageRequest(100, Optional.empty())).items().size(); pages++;
        }
        long t1 = mx.getCurrentThreadCpuTime();
        System.out.printf("round %d %s: %.1f us/page (%d rows)%n", round, v == 0 ? "A" : "B", (t1 - t0) / 1000.0 / pages, n);
      }
    }
    for (StorageBackend x : b) x.close();
  }
}
