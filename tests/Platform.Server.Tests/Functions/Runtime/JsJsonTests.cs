using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Platform.Server.Documents;
using Platform.Server.Functions;
using Platform.Server.Functions.Runtime;

namespace Platform.Server.Tests.Functions.Runtime;

/// <summary>
/// <see cref="JsJson.ToJs"/> builds values directly from JSON nodes (no text parsed again): what the script sees must be
/// exactly what <c>JSON.parse</c> of the node's text gives.
/// </summary>
public sealed class JsJsonTests
{
    [Theory]
    [InlineData("""{"a":1,"b":[1,2.5,"s",null,true,false,{"c":{}}],"d":"\u00e9\n\"","e":null}""")]
    [InlineData("""{"big":12345678901234567890,"neg":-0.000123,"exp":1e300,"int":9007199254740993}""")]
    [InlineData("""[{"x":[[[]]]},"",0]""")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("""{"__proto__":{"polluted":true},"constructor":1,"z":2,"10":3,"2":4}""")]
    public void ToJs_GivesWhatJsonParseGives(string json)
    {
        using var engine = new Engine(o => o.Strict = true);
        var node = JsonNode.Parse(json);
        engine.SetValue("direct", JsJson.ToJs(engine, node));
        engine.SetValue("text", JsString.Create(node!.ToJsonString()));

        var same = engine.Evaluate("JSON.stringify(direct) === JSON.stringify(JSON.parse(text))").AsBoolean();

        Assert.True(same, engine.Evaluate("JSON.stringify(direct)").ToString());
    }

    [Fact]
    public void ToJs_AProtoKeyIsAnOwnProperty_NotThePrototype()
    {
        using var engine = new Engine(o => o.Strict = true);
        engine.SetValue("v", JsJson.ToJs(engine, JsonNode.Parse("""{"__proto__":{"polluted":true}}""")));

        Assert.True(engine.Evaluate("Object.getPrototypeOf(v) === Object.prototype && Object.hasOwn(v, '__proto__') && v.polluted === undefined").AsBoolean());
        Assert.True(engine.Evaluate("Array.isArray(JSON.parse('[1]')) && typeof v === 'object'").AsBoolean());
    }

    [Fact]
    public void EventToJs_HasTheShapeOfTheEventJson()
    {
        using var engine = new Engine(o => o.Strict = true);
        var data = new JsonObject { ["_id"] = "d1", ["n"] = 1 };
        var functionEvent = new FunctionEvent("e1", TriggerOperation.Create, "orders", "d1", null, null, data);
        engine.SetValue("direct", JsJson.EventToJs(engine, functionEvent));
        engine.SetValue("text", JsString.Create(functionEvent.ToJson().ToJsonString()));

        Assert.True(engine.Evaluate("JSON.stringify(direct) === JSON.stringify(JSON.parse(text))").AsBoolean());
        Assert.True(engine.Evaluate("direct.before === null && direct.after === null && direct.data.n === 1").AsBoolean());

        // The script gets its own values: changing them leaves the event's document alone.
        engine.Execute("direct.data.n = 2;");
        Assert.Equal(1, data["n"]!.GetValue<int>());
    }

    /// <summary>
    /// <c>event.data</c> through an engine's <see cref="DocumentLayouts"/> (a layout once the same names came twice in a
    /// row) is what <c>JSON.parse</c> gives, with the same own keys in the same order and a shared hidden class, whatever
    /// the sequence of documents: the same names, other names, names a layout cannot hold (a leading digit, which
    /// sorts first; <c>__proto__</c>, an own property), back to the first names. Runs on one engine must not see each
    /// other's values.
    /// </summary>
    [Fact]
    public void EventToJs_ThroughTheEnginesLayouts_GivesWhatJsonParseGives()
    {
        using var engine = new Engine(o => o.Strict = true);
        var layouts = new DocumentLayouts();
        string[] documents =
        [
            """{"_id":"d1","title":"a","n":1,"tags":["x"],"nested":{"k":1}}""",
            """{"_id":"d2","title":"b","n":2,"tags":[],"nested":{"k":2}}""",
            """{"_id":"d3","title":"c","n":3,"tags":["y","z"],"nested":null}""",
            """{"_id":"d4","n":4,"title":"order differs"}""",
            """{"_id":"d5","n":5,"title":"order differs again"}""",
            """{"_id":"d6","title":"e","2":"two","10":"ten"}""",
            """{"_id":"d7","title":"f","2":"two","10":"ten"}""",
            """{"_id":"d8","title":"f","2":"two","10":"ten"}""",
            """{"_id":"d9","__proto__":{"polluted":true},"z":1}""",
            """{"_id":"d10","__proto__":{"polluted":true},"z":2}""",
            """{"_id":"d11","title":"g","n":11,"tags":["w"],"nested":{"k":11}}""",
            """{"_id":"d12","title":"h","n":12,"tags":["v"],"nested":{"k":12}}""",
        ];

        var previous = JsValue.Undefined;
        foreach (var json in documents)
        {
            var data = JsonNode.Parse(json)!.AsObject();
            var functionEvent = new FunctionEvent("e1", TriggerOperation.Create, "orders", (string)data["_id"]!, null, null, data);
            var direct = JsJson.EventToJs(engine, functionEvent, layouts);
            engine.SetValue("direct", direct);
            engine.SetValue("previous", previous);
            engine.SetValue("text", JsString.Create(data.ToJsonString()));

            Assert.True(
                engine.Evaluate("JSON.stringify(direct.data) === JSON.stringify(JSON.parse(text)) && Object.keys(direct.data).join() === Object.keys(JSON.parse(text)).join()").AsBoolean(),
                engine.Evaluate("JSON.stringify(direct.data)").ToString() + " " + json);
            Assert.True(engine.Evaluate("Object.getPrototypeOf(direct.data) === Object.prototype && direct.data.polluted === undefined").AsBoolean(), json);

            // The previous run's object keeps its own values.
            Assert.True(engine.Evaluate("previous === undefined || previous.data._id !== direct.data._id").AsBoolean(), json);
            if (!json.Contains("__proto__", StringComparison.Ordinal) && !json.Contains("\"2\"", StringComparison.Ordinal))
            {
                Assert.True(engine.Advanced.HasSharedShape((Jint.Native.Object.ObjectInstance)engine.Evaluate("direct.data")), json);
            }

            previous = direct;
        }
    }

    /// <summary>
    /// <see cref="JsJson.ToNode(Engine, JsValue, int, string)"/> of a JSON-able value is what <c>JSON.stringify</c> makes of it,
    /// whichever representation Jint keeps the objects in: object literals and spreads (a shared hidden class, read
    /// without a descriptor per property), and objects a script turned into dictionaries (a deleted key, a property
    /// defined non-enumerable, a getter, a frozen object).
    /// </summary>
    [Theory]
    [InlineData("({ a: 1, b: 'x', c: [1, { d: null }], e: undefined, f: true })")]
    [InlineData("(() => { const data = { _id: 'd1', title: 't', n: 0, tags: ['a', 'b'] }; return { data: { ...data, checked: true } }; })()")]
    [InlineData("(() => { const o = { a: 1, b: 2, c: 3 }; delete o.b; return o; })()")]
    [InlineData("(() => { const o = { a: 1, b: 2 }; Object.defineProperty(o, 'hidden', { value: 3, enumerable: false }); return o; })()")]
    [InlineData("(() => { const o = { a: 1 }; Object.defineProperty(o, 'g', { get() { return 5; }, enumerable: true }); return o; })()")]
    [InlineData("Object.freeze({ a: 1, b: { c: 2 } })")]
    [InlineData("(() => { class P { constructor() { this.x = 1; this.y = 'two'; } } return { p: new P() }; })()")]
    [InlineData("(() => { const o = { a: { toJSON() { delete o.b; return 1; } }, b: 2, c: 3 }; return o; })()")]
    [InlineData("(() => { const o = { a: { toJSON() { Object.defineProperty(o, 'b', { enumerable: false }); return 1; } }, b: 2 }; return o; })()")]
    public void ToNode_GivesWhatJsonStringifyGives(string script)
    {
        using var engine = new Engine(o => o.Strict = true);
        var value = engine.Evaluate(script);
        var stringified = engine.Call(engine.Evaluate("(v) => JSON.stringify(v)"), JsValue.Undefined, [value]).ToString();
        value = engine.Evaluate(script);

        var node = JsJson.ToNode(engine, value, 1 << 20);

        Assert.Equal(stringified, node!.ToJsonString());
    }
}
