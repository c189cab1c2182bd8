package searchbench.harness;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;

import org.elasticsearch.common.settings.Setting;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.util.concurrent.ThreadContext;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BytesRestResponse;
import org.elasticsearch.rest.RestHandler;

/**
 * HTTP basic authentication for part of the node, the way a secured cluster with anonymous read
 * access to some indexes behaves: requests whose path starts with {@code /PREFIX} need the
 * configured user, every request that sends wrong credentials is refused, everything else is open.
 * It lets the conformance suite prove that endpoint credentials reach the engine (a 401 without
 * them, results with them) without the security plugin, which is not on Maven Central.
 */
public final class BasicAuthPlugin extends Plugin implements ActionPlugin {

    static final Setting<String> CREDENTIALS =
            Setting.simpleString("searchbench.basic_auth.credentials", Setting.Property.NodeScope);
    static final Setting<String> PREFIX =
            Setting.simpleString("searchbench.basic_auth.index_prefix", Setting.Property.NodeScope);

    private final String expected;
    private final String prefix;

    public BasicAuthPlugin(Settings settings) {
        String credentials = CREDENTIALS.get(settings);
        this.expected = credentials.isEmpty()
                ? ""
                : "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        this.prefix = "/" + PREFIX.get(settings);
    }

    @Override
    public List<Setting<?>> getSettings() {
        return List.of(CREDENTIALS, PREFIX);
    }

    @Override
    public UnaryOperator<RestHandler> getRestHandlerWrapper(ThreadContext threadContext) {
        if (expected.isEmpty()) {
            return null;
        }
        return handler -> (request, channel, client) -> {
            String given = request.header("Authorization");
            boolean protectedPath = request.path().startsWith(prefix);
            boolean wrong = given != null && !constantTimeEquals(given, expected);
            if (wrong || (protectedPath && given == null)) {
                BytesRestResponse response = new BytesRestResponse(
                        RestStatus.UNAUTHORIZED,
                        "application/json; charset=UTF-8",
                        "{\"error\":{\"type\":\"security_exception\",\"reason\":\"missing or wrong credentials for "
                                + request.path().replace("\"", "") + "\"},\"status\":401}");
                response.addHeader("WWW-Authenticate", "Basic realm=\"searchbench-test\"");
                channel.sendResponse(response);
                return;
            }
            handler.handleRequest(request, channel, client);
        };
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
