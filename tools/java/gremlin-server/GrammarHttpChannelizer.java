// Gremlin Server's HTTP and WebSocket channelizer (WsAndHttpChannelizer: both on one port), but an HTTP request
// that names no script language is evaluated by `gremlin-lang`, TinkerPop's ANTLR grammar, as Neptune parses
// Gremlin, instead of Gremlin Server's default, Groovy. The writer's `POST /gremlin {"gremlin": ...}` names no
// language (Neptune needs none), and Groovy compiles each of its traversals anew: a 100-edge write (about 300
// chained steps) took minutes to compile on 2 cores, against about a second through the grammar. A request that
// names a language (`"language": "gremlin-groovy"`) keeps it. WebSocket requests (bytecode, or scripts from
// gremlinpython's client.submit, as `make write-bench`'s contenders send them) pass unchanged. Local mode runs
// this channelizer; the writer's tests run the plain WsAndHttpChannelizer and post to each engine by name.
//
// Usage (gremlin-server.yaml): channelizer: GrammarHttpChannelizer, with this class on the classpath.

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.tinkerpop.gremlin.server.channel.WsAndHttpChannelizer;
import org.apache.tinkerpop.shaded.jackson.databind.JsonNode;
import org.apache.tinkerpop.shaded.jackson.databind.ObjectMapper;
import org.apache.tinkerpop.shaded.jackson.databind.node.ObjectNode;

public final class GrammarHttpChannelizer extends WsAndHttpChannelizer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AGGREGATOR = "http-aggregator";
    private static final String DEFAULT_LANGUAGE = "gremlin-lang-by-default";

    @Override
    public void configure(ChannelPipeline pipeline) {
        super.configure(pipeline);
        pipeline.addAfter("WsAndHttpChannelizerHandler", "gremlin-lang-placer", new Placer());
    }

    // WsAndHttpChannelizerHandler puts the HTTP handlers right after the aggregator at the start of each HTTP
    // request (not at configure time), so the language default goes back in front of them at that moment too.
    private static final class Placer extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpMessage
                    && !"websocket".equalsIgnoreCase(((HttpMessage) msg).headers().get(HttpHeaderNames.UPGRADE))) {
                ChannelPipeline pipeline = ctx.pipeline();
                if (pipeline.get(DEFAULT_LANGUAGE) != null) {
                    pipeline.remove(DEFAULT_LANGUAGE);
                }
                pipeline.addAfter(AGGREGATOR, DEFAULT_LANGUAGE, new DefaultLanguage());
            }
            ctx.fireChannelRead(msg);
        }
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
