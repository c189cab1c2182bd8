package searchbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Starts one real Solr node (Jetty + SolrDispatchFilter, real HTTP on 127.0.0.1) for the engine
 * conformance tests: {@code java -cp CLASSPATH searchbench.harness.SolrLauncher PORT SOLR_HOME}.
 *
 * <p>The node runs until the process gets SIGTERM/SIGINT or its stdin closes, so a harness that dies
 * without cleaning up does not leave an orphaned JVM behind.
 */
public final class SolrLauncher {
  private SolrLauncher() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: SolrLauncher PORT SOLR_HOME");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    Path home = Path.of(args[1]).toAbsolutePath();
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      System.err.println("no solr.xml in " + home);
      System.exit(2);
    }
    System.setProperty("solr.solr.home", home.toString());
    // The node only ever reads its own home; allowPaths keeps core paths under it legal.
    System.setProperty("solr.allowPaths", home.toString());
    // Standalone test node: no ZooKeeper, no SSL, no metrics reporters to set up.
    System.setProperty("solr.disableConfigSetsCreateAuthChecks", "true");

    JettyConfig config =
        JettyConfig.builder().setPort(port).setContext("/solr").stopAtShutdown(true).build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), new Properties(), config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    runner.stop();
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                  stopped.countDown();
                }));
    runner.start();
    System.out.println("SOLR_READY " + runner.getBaseUrl());
    System.out.flush();

    // Block on stdin: EOF means the parent (pytest) went away.
    Thread watchdog =
        new Thread(
            () -> {
              try {
                while (System.in.read() != -1) {
                  // ignore input; only EOF matters
                }
              } catch (Exception ignored) {
                // treat a broken stdin like EOF
              }
              System.exit(0);
            });
    watchdog.setDaemon(true);
    watchdog.start();
    stopped.await();
  }
}
