// Where TinkerPop spends a Gremlin batch request: the writer's request texts (one per line, written by
// `AB_TEXTS=DIR cargo run -p stream2neptune-writer --example gremlin_forms`) evaluated in process on a
// TinkerTransactionGraph with the gremlin-lang engine, as the local Gremlin Server runs them, one transaction per
// request. Each `;`-separated traversal of a request is timed in three parts: build (parse and construct the
// traversal), strategies (TinkerPop's traversal strategies) and execute (iterate it), and counted in steps after
// the strategies. Each file runs twice per round: with the default strategies, and without LazyBarrierStrategy
// (which puts a NoOpBarrierStep after each flatMap step of a traversal that starts with one, so after every
// mergeV()/mergeE() of a chain). 3 rounds; the last is printed as the figure (the first ones warm the JIT).
//
// java -cp '.java/gremlin-server/lib/*' tools/bench/GremlinStepCost.java DIR/chained.txt DIR/rows.txt
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.script.Bindings;
import org.apache.tinkerpop.gremlin.jsr223.GremlinLangScriptEngine;
import org.apache.tinkerpop.gremlin.process.traversal.Traversal;
import org.apache.tinkerpop.gremlin.process.traversal.dsl.graph.GraphTraversalSource;
import org.apache.tinkerpop.gremlin.process.traversal.strategy.optimization.LazyBarrierStrategy;
import org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerTransactionGraph;

public class GremlinStepCost {
    public static void main(String[] files) throws Exception {
        for (int round = 1; round <= 3; round++) {
            for (String file : files) {
                for (boolean lazyBarriers : new boolean[] {true, false}) {
                    run(round, file, lazyBarriers);
                }
            }
        }
    }

    private static void run(int round, String file, boolean lazyBarriers) throws Exception {
        List<String> requests = Files.readAllLines(Path.of(file));
        TinkerTransactionGraph graph = TinkerTransactionGraph.open();
        GraphTraversalSource g = graph.traversal();
        if (!lazyBarriers) {
            g = g.withoutStrategies(LazyBarrierStrategy.class);
        }
        GremlinLangScriptEngine engine = new GremlinLangScriptEngine();
        Bindings bindings = engine.createBindings();
        bindings.put("g", g);
        long build = 0, strategies = 0, execute = 0, steps = 0, traversals = 0;
        for (String request : requests) {
            // The writer separates a request's traversals with `.iterate();` (its ids here never contain it).
            for (String text : request.split("\\.iterate\\(\\);")) {
                long t0 = System.nanoTime();
                Traversal.Admin<?, ?> traversal = ((Traversal<?, ?>) engine.eval(text, bindings)).asAdmin();
                long t1 = System.nanoTime();
                traversal.applyStrategies();
                long t2 = System.nanoTime();
                traversal.iterate();
                long t3 = System.nanoTime();
                build += t1 - t0;
                strategies += t2 - t1;
                execute += t3 - t2;
                steps += traversal.getSteps().size();
                traversals++;
            }
            graph.tx().commit();
        }
        double n = requests.size();
        System.out.printf(
                "round %d %s%s: per request of the file: build %.2f ms, strategies %.2f ms, execute %.2f ms,"
                        + " total %.2f ms; %.0f traversals, %.0f steps after strategies%n",
                round, Path.of(file).getFileName(), lazyBarriers ? "" : " without LazyBarrierStrategy",
                build / 1e6 / n, strategies / 1e6 / n, execute / 1e6 / n,
                (build + strategies + execute) / 1e6 / n, traversals / n, steps / n);
    }
}
