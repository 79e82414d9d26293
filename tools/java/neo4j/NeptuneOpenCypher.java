// The openCypher stand-in for tests and local mode: embedded Neo4j behind Neptune's openCypher HTTP
// form. `POST /openCypher` (or `/opencypher`) with form fields `query=` and `parameters=` (a JSON
// object) runs the query in one transaction and answers `{"results": [...]}`; a failure answers
// Neptune's error body `{"requestId", "code", "detailedMessage"}` with the Neptune code whose retry
// rule matches Neo4j's error class. `~id` is an ordinary property here (on Neptune it is the element
// id). Neptune finds a vertex by `~id` whatever its label, and no two vertices share one; Neo4j indexes
// and constrains a property only under a label. So every node pattern keyed by `~id` in a query, such as
// `(n {`~id`: r.id})` or `(:device {`~id`: r.id})`, gets the hidden label `~vertex` before the query runs,
// whose uniqueness constraint on `~id` makes the lookup an index seek and a second vertex with the id an
// error, as on Neptune; `~vertex` is left out of the labels the adapter returns for a node. (Relationship
// `~id`s are neither indexed nor unique here: Neo4j indexes relationship properties only per type.)
//
// Usage: java -cp '<lib>/*:<classes>' NeptuneOpenCypher <port> <data dir> [<bolt port>]
// Listens on 127.0.0.1:<port> once the database is up; SIGTERM shuts the database down cleanly. With a bolt port,
// Neo4j's own Bolt connector also listens on 127.0.0.1:<bolt port>, without authentication (loopback only), for
// clients that are not the writer (`make write-bench`'s Neo4j driver contender); off by default.

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.Result;
import org.neo4j.graphdb.Transaction;
import org.neo4j.kernel.api.index.IndexValueValidator;
import org.neo4j.kernel.api.exceptions.Status;

public final class NeptuneOpenCypher {
    private static final ObjectMapper JSON = new ObjectMapper();

    // The hidden label of every node the adapter's queries key by `~id`.
    private static final String VERTEX = "~vertex";

    // A node pattern keyed by `~id`: `(`, an optional variable, optional labels (plain or backquoted, a backquote
    // doubled), then the property map's `~id` key.
    private static final Pattern ID_NODE = Pattern.compile(
            "\\(\\s*([A-Za-z_][A-Za-z0-9_]*)?((?:\\s*:\\s*(?:`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*))*)\\s*\\{\\s*`~id`\\s*:");

    // `query` with the label `~vertex` added to each node pattern keyed by `~id`.
    static String withVertexLabel(String query) {
        return ID_NODE.matcher(query).replaceAll(m -> Matcher.quoteReplacement(
                "(" + (m.group(1) == null ? "" : m.group(1)) + m.group(2) + ":`" + VERTEX + "` {`~id`:"));
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 && args.length != 3) {
            System.err.println("usage: NeptuneOpenCypher <port> <data dir> [<bolt port>]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(Path.of(args[1]))
                .setConfig(GraphDatabaseSettings.pagecache_memory, 64L * 1024 * 1024)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(120));
        if (args.length == 3) {
            builder.setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", Integer.parseInt(args[2])))
                    .setConfig(GraphDatabaseSettings.auth_enabled, false);
        }
        DatabaseManagementService dbms = builder.build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        db.executeTransactionally(
                "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:person) REQUIRE n.`~id` IS UNIQUE");
        db.executeTransactionally(
                "CREATE CONSTRAINT vertex_id IF NOT EXISTS FOR (n:`" + VERTEX + "`) REQUIRE n.`~id` IS UNIQUE");
        db.executeTransactionally("CALL db.awaitIndexes(60)");

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/openCypher", exchange -> handle(db, exchange));
        server.createContext("/opencypher", exchange -> handle(db, exchange));
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        System.err.println("NeptuneOpenCypher listening on 127.0.0.1:" + port);
    }

    private static void handle(GraphDatabaseService db, HttpExchange exchange) throws IOException {
        String requestId = UUID.randomUUID().toString();
        try {
            Map<String, String> form = new HashMap<>();
            String rawQuery = exchange.getRequestURI().getRawQuery();
            if (rawQuery != null) {
                parseForm(rawQuery, form);
            }
            String method = exchange.getRequestMethod();
            if (method.equals("POST")) {
                parseForm(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), form);
            } else if (!method.equals("GET")) {
                reply(exchange, 405, error(requestId, "MethodNotAllowedException", method + " is not allowed"));
                return;
            }
            String query = form.get("query");
            if (query == null || query.isBlank()) {
                reply(exchange, 400, error(requestId, "MissingParameterException", "no query parameter"));
                return;
            }
            Map<String, Object> parameters = new HashMap<>();
            String rawParameters = form.get("parameters");
            if (rawParameters != null && !rawParameters.isBlank()) {
                try {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> parsed = JSON.readValue(rawParameters, Map.class);
                    parameters = parsed;
                } catch (IOException e) {
                    reply(exchange, 400, error(requestId, "InvalidParameterException",
                            "parameters is not a JSON object: " + e.getMessage()));
                    return;
                }
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            try (Transaction tx = db.beginTx()) {
                Result result = tx.execute(withVertexLabel(query), parameters);
                while (result.hasNext()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (Map.Entry<String, Object> cell : result.next().entrySet()) {
                        row.put(cell.getKey(), toJson(cell.getValue()));
                    }
                    rows.add(row);
                }
                tx.commit();
            }
            reply(exchange, 200, Map.of("results", rows));
        } catch (Exception e) {
            String[] mapped = neptuneCode(e);
            reply(exchange, Integer.parseInt(mapped[1]), error(requestId, mapped[0], describe(e)));
        }
    }

    // Neo4j's status classification -> the Neptune code (and HTTP status) with the same retry rule.
    private static String[] neptuneCode(Throwable e) {
        if (tooLargeToIndex(e)) {
            return new String[] {"InvalidParameterException", "400"};
        }
        Status status = Status.statusCodeOf(e);
        String code = status == null ? "" : status.code().serialize();
        if (code.startsWith("Neo.TransientError.")) {
            // Deadlocks, lock timeouts, a database briefly unavailable: Neptune's concurrent-write error.
            return new String[] {"ConcurrentModificationException", "500"};
        }
        if (code.equals("Neo.ClientError.Schema.ConstraintValidationFailed")) {
            return new String[] {"ConstraintViolationException", "400"};
        }
        if (code.startsWith("Neo.ClientError.Statement.SyntaxError")
                || code.startsWith("Neo.ClientError.Statement.SemanticError")
                || code.startsWith("Neo.ClientError.Statement.ArgumentError")
                || code.startsWith("Neo.ClientError.Statement.TypeError")
                || code.startsWith("Neo.ClientError.Statement.ParameterMissing")) {
            return new String[] {"MalformedQueryException", "400"};
        }
        if (code.startsWith("Neo.ClientError.Transaction.TransactionTimedOut")) {
            return new String[] {"TimeLimitExceededException", "500"};
        }
        if (code.startsWith("Neo.ClientError.")) {
            return new String[] {"BadRequestException", "400"};
        }
        return new String[] {"InternalFailureException", "500"};
    }

    // A value its index cannot hold (a RANGE index key is at most about 8 KB, so an id longer than that on
    // person.`~id`) is refused by IndexValueValidator.throwSizeViolationException with a bare
    // IllegalArgumentException, "Property value is too large to index", which carries no Neo4j status: left to the
    // catch-all it would answer InternalFailureException, which the writer retries, and the record would hold its
    // shard. It is a refusal of the record's content, the same on every attempt: Neptune's code for an invalid or
    // out-of-range parameter value, which the writer narrows down to the record and rejects.
    private static boolean tooLargeToIndex(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            StackTraceElement[] at = cause.getStackTrace();
            if (cause instanceof IllegalArgumentException
                    && at.length > 0
                    && at[0].getClassName().equals(IndexValueValidator.class.getName())
                    && at[0].getMethodName().equals("throwSizeViolationException")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        Status status = Status.statusCodeOf(e);
        String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        return status == null ? message : status.code().serialize() + ": " + message;
    }

    private static Map<String, Object> error(String requestId, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("requestId", requestId);
        body.put("code", code);
        body.put("detailedMessage", message);
        return body;
    }

    // Nodes and relationships in Neptune's openCypher JSON form (~id, ~labels/~type, ~properties).
    private static Object toJson(Object value) {
        if (value instanceof Node node) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("~id", String.valueOf(node.getProperty("~id", node.getElementId())));
            out.put("~entityType", "node");
            List<String> labels = new ArrayList<>();
            node.getLabels().forEach(label -> {
                if (!label.name().equals(VERTEX)) {
                    labels.add(label.name());
                }
            });
            out.put("~labels", labels);
            out.put("~properties", properties(node.getAllProperties()));
            return out;
        }
        if (value instanceof Relationship rel) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("~id", String.valueOf(rel.getProperty("~id", rel.getElementId())));
            out.put("~entityType", "relationship");
            out.put("~start", String.valueOf(rel.getStartNode().getProperty("~id", rel.getStartNode().getElementId())));
            out.put("~end", String.valueOf(rel.getEndNode().getProperty("~id", rel.getEndNode().getElementId())));
            out.put("~type", rel.getType().name());
            out.put("~properties", properties(rel.getAllProperties()));
            return out;
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), toJson(v)));
            return out;
        }
        if (value instanceof Iterable<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(toJson(v)));
            return out;
        }
        if (value == null || value instanceof Number || value instanceof Boolean || value instanceof String) {
            return value;
        }
        if (value.getClass().isArray()) {
            return JSON.convertValue(value, List.class);
        }
        return String.valueOf(value);
    }

    private static Map<String, Object> properties(Map<String, Object> all) {
        Map<String, Object> out = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (!k.equals("~id")) {
                out.put(k, toJson(v));
            }
        });
        return out;
    }

    private static void parseForm(String body, Map<String, String> into) {
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            into.put(key, value);
        }
    }

    private static void reply(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json;charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
