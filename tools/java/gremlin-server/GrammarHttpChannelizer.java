// Gremlin Server's HTTP channelizer, but a request that names no script language is evaluated by
// `gremlin-lang`, TinkerPop's ANTLR grammar, as Neptune parses Gremlin, instead of Gremlin Server's
// default, Groovy. The writer's `POST /gremlin {"gremlin": ...}` names no language (Neptune needs
// none), and Groovy compiles each of its traversals anew: a 100-edge write (about 300 chained
// steps) took minutes to compile on 2 cores, against about a second through the grammar. A request
// that names a language (`"language": "gremlin-groovy"`) keeps it. Local mode runs this channelizer;
// the writer's tests run the plain HttpChannelizer and post to each engine by name.
//
// Usage (gremlin-server.yaml): channelizer: GrammarHttpChannelizer, with this class on the classpath.

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.tinkerpop.gremlin.server.channel.HttpChannelizer;
import org.apache.tinkerpop.shaded.jackson.databind.JsonNode;
import org.apache.tinkerpop.shaded.jackson.databind.ObjectMapper;
import org.apache.tinkerpop.shaded.jackson.databind.node.ObjectNode;

public final class GrammarHttpChannelizer extends HttpChannelizer {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void configure(ChannelPipeline pipeline) {
        super.configure(pipeline);
        pipeline.addBefore("http-gremlin-handler", "gremlin-lang-by-default", new DefaultLanguage());
    }

    private static final class DefaultLanguage extends MessageToMessageDecoder<FullHttpRequest> {
        @Override
        protected void decode(ChannelHandlerContext ctx, FullHttpRequest request, List<Object> out) {
            if (request.method() == HttpMethod.POST) {
                try {
                    JsonNode body = JSON.readTree(request.content().toString(StandardCharsets.UTF_8));
                    if (body instanceof ObjectNode && !body.has("language")) {
                        ((ObjectNode) body).put("language", "gremlin-lang");
                        byte[] bytes = JSON.writeValueAsBytes(body);
                        FullHttpRequest rewritten = request.replace(Unpooled.wrappedBuffer(bytes));
                        rewritten.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
                        out.add(rewritten);
                        return;
                    }
                } catch (java.io.IOException e) {
                    // Not JSON: the endpoint handler answers it with its own error.
                }
            }
            out.add(request.retain());
        }
    }
}
