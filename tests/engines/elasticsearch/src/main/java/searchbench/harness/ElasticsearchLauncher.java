package searchbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.analysis.common.CommonAnalysisPlugin;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.painless.PainlessPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.Netty4Plugin;

/**
 * Starts one single-node Elasticsearch cluster with real HTTP on 127.0.0.1:PORT and keeps it up until
 * the process is terminated (SIGTERM closes the node cleanly).
 *
 * <p>Usage: {@code java -cp CLASSPATH searchbench.harness.ElasticsearchLauncher PORT DATA_DIR [USER:PASSWORD [PREFIX]]}
 * With credentials, paths starting with {@code /PREFIX} (the whole node when PREFIX is empty) need
 * HTTP basic auth; see {@link BasicAuthPlugin}.
 *
 * <p>A distribution loads netty4, analysis-common and painless from its modules/ folder; without a
 * distribution we hand those plugin classes to the protected {@link Node} constructor, the same seam
 * Elasticsearch's own MockNode uses. The security plugin is absent, so HTTP is plain and open.
 */
public final class ElasticsearchLauncher {

    /** Plugins a stock distribution would load as modules. */
    private static final Collection<Class<? extends Plugin>> MODULES =
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class, BasicAuthPlugin.class);

    private static final class ClasspathNode extends Node {
        ClasspathNode(Environment environment) {
            super(environment, MODULES, true);
        }
    }

    private ElasticsearchLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 4) {
            System.err.println("usage: ElasticsearchLauncher PORT DATA_DIR [USER:PASSWORD [PREFIX]]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path home = Path.of(args[1]).toAbsolutePath();
        String credentials = args.length > 2 ? args[2] : "";
        String prefix = args.length > 3 ? args[3] : "";
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));

        Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", "searchbench-test")
                .put("node.name", "searchbench-node")
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", port)
                .put("http.type", "netty4")
                .put("transport.type", "netty4")
                // An ephemeral transport port: several nodes (and other engineers' engines) share
                // the machine, and single-node discovery never dials it.
                .put("transport.port", "0")
                // Test machines run with nearly full disks; the watermarks would make indexes read-only.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("action.auto_create_index", true)
                .put(BasicAuthPlugin.CREDENTIALS.getKey(), credentials)
                .put(BasicAuthPlugin.PREFIX.getKey(), prefix)
                .build();

        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("searchbench-node");
        LogConfigurator.configureWithoutConfig(settings);

        Environment environment =
                InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> "searchbench-node");
        Node node = new ClasspathNode(environment);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "searchbench-shutdown"));

        node.start();
        // The harness holds our stdin open and never writes to it: end of input means the test
        // process is gone (even if killed), so the node must not outlive it.
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // ignore input
                }
            } catch (java.io.IOException e) {
                // treat like end of input
            }
            System.exit(0);
        }, "searchbench-stdin-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        System.out.println("searchbench: Elasticsearch " + org.elasticsearch.Version.CURRENT + " listening on http://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }
}
