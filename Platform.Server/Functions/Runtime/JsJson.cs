using System.Buffers;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;

namespace Platform.Server.Functions.Runtime;

/// <summary>A value that does not cross the sandbox boundary as JSON; the message names what and where.</summary>
internal sealed class NotJsonException(string message) : Exception(message)
{
    public NotJsonException()
        : this("The value is not JSON.")
    {
    }

    public NotJsonException(string message, Exception innerException)
        : this(message) => _ = innerException;
}

/// <summary>
/// Values cross the sandbox boundary as JSON and nothing else. Into the engine: the engine's own JSON
/// parser. Out of it: a strict walk that, unlike <c>JSON.stringify</c>, refuses functions, symbols,
/// BigInt, non-finite numbers and cycles instead of dropping or mangling them (an <c>undefined</c> property
/// is left out, an <c>undefined</c> array element becomes null, <c>toJSON</c> is honoured, as in JSON).
/// Runs on the engine's thread only.
/// </summary>
internal static class JsJson
{
    private const int MaxDepth = 100;

    /// <summary>
    /// The value <c>JSON.parse</c> would make of <paramref name="node"/>'s JSON text, built directly (no text in between):
    /// plain objects with own data properties in the node's order (a <c>__proto__</c> key is an own property, as in
    /// <c>JSON.parse</c>), arrays, numbers as doubles.
    /// </summary>
    public static JsValue ToJs(Engine engine, JsonNode? node) => ToJs(engine, node, 0);

    private static JsValue ToJs(Engine engine, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                return JsValue.Null;
            case JsonObject o:
            {
                CheckDepth(depth);

                // Built in Jint's hidden-class representation (CreateFromEntries, as JSON.parse's own objects are not):
                // documents of one collection share a layout, so no descriptor or dictionary is made per property,
                // and a script's spread ({ ...ctx.event.data }) copies the slots in one step instead of key by key.
                var entries = ArrayPool<KeyValuePair<string, JsValue>>.Shared.Rent(o.Count);
                try
                {
                    var count = 0;
                    foreach (var (name, value) in o)
                    {
                        entries[count++] = new(name, ToJs(engine, value, depth + 1));
                    }

                    return JsObject.CreateFromEntries(engine, new ReadOnlySpan<KeyValuePair<string, JsValue>>(entries, 0, count));
                }
                finally
                {
                    ArrayPool<KeyValuePair<string, JsValue>>.Shared.Return(entries, clearArray: true);
                }
            }

            case JsonArray a:
            {
                CheckDepth(depth);
                var items = new JsValue[a.Count];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = ToJs(engine, a[i], depth + 1);
                }

                return new JsArray(engine, items);
            }

            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case System.Text.Json.JsonValueKind.String:
                        return JsString.Create(v.GetValue<string>());
                    case System.Text.Json.JsonValueKind.Number:
                        return JsNumber.Create(NumberOf(v));
                    case System.Text.Json.JsonValueKind.True:
                        return JsBoolean.True;
                    case System.Text.Json.JsonValueKind.False:
                        return JsBoolean.False;
                    case System.Text.Json.JsonValueKind.Null:
                        return JsValue.Null;
                    default:
                        // Not reachable for JSON; the engine's parser decides as before.
                        return new JsonParser(engine).Parse(v.ToJsonString());
                }

            default:
                return new JsonParser(engine).Parse(node.ToJsonString());
        }
    }

    // A parsed value reads as a double; one the server made (a document's _version, a long) only as its own type, and
    // printing it to parse it back cost more than the rest of the document's conversion.
    private static double NumberOf(JsonValue v) =>
        v.TryGetValue<double>(out var d) ? d
        : v.TryGetValue<long>(out var l) ? l
        : v.TryGetValue<int>(out var i) ? i
        : double.Parse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    // System.Text.Json nodes nest at most 64 levels when parsed, but a host can build deeper ones: past this, fail
    // like the engine's parser would rather than overflow the stack.
    private static void CheckDepth(int depth)
    {
        if (depth >= 1000)
        {
            throw new NotJsonException($"the value nests deeper than 1000 levels");
        }
    }

    /// <summary>The value as JSON; <paramref name="maxBytes"/> bounds its approximate serialized size.</summary>
    public static JsonNode? ToNode(Engine engine, JsValue value, int maxBytes, string path = "value") =>
        ToNode(engine, value, maxBytes, out _, path);

    /// <summary>
    /// <see cref="ToNode(Engine, JsValue, int, string)"/>, also giving the walk's byte estimate. The serialized JSON is at
    /// most <see cref="MaxBytesPerEstimatedByte"/> times the estimate (a character escaped as <c>\uXXXX</c>), so a
    /// caller that needs the exact size only has to serialize when the estimate times that is over its limit.
    /// </summary>
    public static JsonNode? ToNode(Engine engine, JsValue value, int maxBytes, out long estimatedBytes, string path = "value")
    {
        var state = new WalkState(engine, maxBytes);
        Converted converted;
        try
        {
            converted = Convert(ref state, value, 0, JsValue.Undefined);
        }
        catch (NotJsonAt ex)
        {
            // The path is put together only now, from the segments each level added on the way out.
            ex.Segments.Reverse();
            throw new NotJsonException($"{path}{string.Concat(ex.Segments)} {ex.Problem}");
        }
        finally
        {
            state.Release();
        }

        estimatedBytes = state.Bytes;
        return converted.IsUndefined ? null : converted.Node;
    }

    /// <summary>Serialized bytes per estimated byte, at most: 6 for a character written as <c>\uXXXX</c>; a number (8) prints in at most 24.</summary>
    public const int MaxBytesPerEstimatedByte = 6;

    /// <summary><c>ctx.event</c> built from its parts, without the copy <see cref="FunctionNames.ToJson(FunctionEvent)"/> makes.</summary>
    public static JsValue EventToJs(Engine engine, FunctionEvent? functionEvent) => EventToJs(engine, functionEvent, null);

    /// <summary>
    /// <see cref="EventToJs(Engine, FunctionEvent?)"/>, with <c>event.data</c> built through <paramref name="layouts"/> (the
    /// engine's) when its names are those of the previous write's document.
    /// </summary>
    public static JsValue EventToJs(Engine engine, FunctionEvent? functionEvent, DocumentLayouts? layouts)
    {
        if (functionEvent is null)
        {
            return JsValue.Null;
        }

        var id = JsString.Create(functionEvent.Id);
        var type = JsString.Create(functionEvent.Type.Name());
        var collection = JsString.Create(functionEvent.Collection);
        var documentId = JsString.Create(functionEvent.DocumentId);
        var before = ToJs(engine, functionEvent.Before);
        var after = ToJs(engine, functionEvent.After);
        return functionEvent.Data is null
            ? JsObject.Create(engine, EventLayout, [id, type, collection, documentId, before, after])
            : JsObject.Create(engine, EventWithDataLayout, [id, type, collection, documentId, before, after, layouts is null ? ToJs(engine, functionEvent.Data) : DocumentToJs(engine, functionEvent.Data, layouts)]);
    }

    /// <summary>
    /// A document as <see cref="ToJs(Engine, JsonNode?)"/> makes it, through the layout <paramref name="layouts"/> holds for
    /// the document's names, in order: the same object (same own keys in the same order, same hidden class), made by
    /// filling its slots instead of one hidden-class transition per name.
    /// </summary>
    private static JsValue DocumentToJs(Engine engine, JsonObject document, DocumentLayouts layouts)
    {
        var layout = layouts.Find(document);
        if (layout is null)
        {
            return ToJs(engine, document, 0);
        }

        var values = ArrayPool<JsValue>.Shared.Rent(document.Count);
        try
        {
            var count = 0;
            foreach (var (_, value) in document)
            {
                values[count++] = ToJs(engine, value, 1);
            }

            return JsObject.Create(engine, layout, new ReadOnlySpan<JsValue>(values, 0, count));
        }
        finally
        {
            ArrayPool<JsValue>.Shared.Return(values, clearArray: true);
        }
    }

    // Layouts hold names only (no JsValue), so they are shared by every engine; each engine makes its hidden class once.
    private static readonly JsObjectLayout EventLayout = new("id", "type", "collection", "documentId", "before", "after");
    private static readonly JsObjectLayout EventWithDataLayout = new("id", "type", "collection", "documentId", "before", "after", "data");

    // JsString values are immutable and belong to no engine, so the toJSON key is made once, not once per walk.
    private static readonly JsString ToJsonKey = JsString.Create("toJSON");

    /// <summary>
    /// The walk's state, passed by reference: a struct, so a run's conversion makes no state object. The ancestors'
    /// array is rented only when the value holds an object or array.
    /// </summary>
    private struct WalkState(Engine engine, int maxBytes)
    {
        public readonly Engine Engine = engine;

        /// <summary>The objects and arrays being converted, outermost first (<see cref="Depth"/> of them): at most <see cref="MaxDepth"/>, so a linear search is cheaper than hashing.</summary>
        public ObjectInstance[]? Ancestors;

        public int Depth;

        public long Bytes;

        public readonly int MaxBytes = maxBytes;

        public void Charge(long bytes)
        {
            Bytes += bytes;
            if (Bytes > MaxBytes)
            {
                throw new NotJsonException($"it is larger than {MaxBytes} bytes");
            }
        }

        public void Enter(ObjectInstance o)
        {
            Ancestors ??= ArrayPool<ObjectInstance>.Shared.Rent(MaxDepth);
            for (var i = 0; i < Depth; i++)
            {
                if (ReferenceEquals(Ancestors[i], o))
                {
                    throw new NotJsonAt("refers back to an object that contains it (a cycle)");
                }
            }

            Ancestors[Depth++] = o;
        }

        // Each slot is cleared on the way out (also when the walk throws), so the array goes back to the pool empty.
        public void Leave() => Ancestors![--Depth] = null!;

        public void Release()
        {
            if (Ancestors is not null)
            {
                ArrayPool<ObjectInstance>.Shared.Return(Ancestors);
                Ancestors = null;
            }
        }
    }

    private readonly record struct Converted(JsonNode? Node, bool IsUndefined);

    /// <summary>
    /// A value that is not JSON, on its way out of the walk: each object or array it passes adds its segment
    /// (<c>.name</c>, <c>[2]</c>), so no path string is built for the values that convert fine.
    /// </summary>
    private sealed class NotJsonAt(string problem) : Exception(problem)
    {
        public NotJsonAt()
            : this("is not JSON")
        {
        }

        public NotJsonAt(string message, Exception innerException)
            : this(message) => _ = innerException;

        public string Problem { get; } = problem;

        /// <summary>Innermost first.</summary>
        public List<string> Segments { get; } = [];
    }

    /// <summary>One value as JSON; <paramref name="key"/> is its property name, undefined for an array element (<paramref name="index"/>) or the top value.</summary>
    private static Converted Convert(ref WalkState state, JsValue value, int depth, JsValue key, long index = -1)
    {
        if (value is ObjectInstance withToJson && withToJson is not Function && withToJson.Get(ToJsonKey) is Function toJson)
        {
            // toJSON is called with the key as a string, as JSON.stringify does; an element's is made only here.
            var name = !key.IsUndefined() ? key
                : index >= 0 ? JsString.Create(index.ToString(System.Globalization.CultureInfo.InvariantCulture))
                : JsString.Empty;
            value = state.Engine.Call(toJson, withToJson, [name]);
        }

        switch (value)
        {
            case var undefined when undefined.IsUndefined():
                return new Converted(null, true);
            case var none when none.IsNull():
                state.Charge(4);
                return new Converted(null, false);
            case JsBoolean b:
                state.Charge(5);
                return new Converted(JsonValue.Create(b.AsBoolean()), false);
            case JsNumber n:
            {
                state.Charge(8);
                var d = n.AsNumber();
                if (double.IsNaN(d) || double.IsInfinity(d))
                {
                    throw new NotJsonAt($"is {TypeConverter.ToString(n)}, which JSON cannot hold");
                }

                return new Converted(d == Math.Floor(d) && Math.Abs(d) < 9007199254740992d ? JsonValue.Create((long)d) : JsonValue.Create(d), false);
            }

            case JsString s:
            {
                var text = s.ToString();
                state.Charge(text.Length + 2);
                return new Converted(JsonValue.Create(text), false);
            }

            case JsBigInt:
                throw new NotJsonAt("is a BigInt");
            case JsSymbol:
                throw new NotJsonAt("is a symbol");
            case Function:
                throw new NotJsonAt("is a function");
            case ObjectInstance o:
                return new Converted(ConvertObject(ref state, o, depth), false);
            default:
                throw new NotJsonAt("is not JSON");
        }
    }

    private static JsonNode ConvertObject(ref WalkState state, ObjectInstance o, int depth)
    {
        if (depth >= MaxDepth)
        {
            throw new NotJsonAt($"nests deeper than {MaxDepth} levels");
        }

        state.Enter(o);

        try
        {
            state.Charge(2);
            if (o.IsArray())
            {
                var array = new JsonArray();
                var length = (long)TypeConverter.ToNumber(o.Get("length"));
                for (long i = 0; i < length; i++)
                {
                    Converted item;
                    try
                    {
                        // A number key: arrays read their elements without making the index's string.
                        item = Convert(ref state, o.Get(JsNumber.Create(i)), depth + 1, JsValue.Undefined, i);
                    }
                    catch (NotJsonAt ex)
                    {
                        ex.Segments.Add($"[{i}]");
                        throw;
                    }

                    array.Add(item.IsUndefined ? null : item.Node);
                    state.Charge(1);
                }

                return array;
            }

            var keys = o.GetOwnPropertyKeys(Types.String);

            // A plain object in Jint's shared hidden-class layout (what an object literal and a spread make) holds only
            // enumerable, writable, configurable data properties: anything else (an accessor, another attribute, a
            // freeze) drops it to the dictionary representation. Its keys are then all enumerable, and each value is read
            // with Get, as JSON.stringify does after listing the keys, without a descriptor made per property.
            var shaped = o is JsObject && state.Engine.Advanced.HasSharedShape(o);
            var properties = ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Rent(keys.Count);
            var count = 0;
            try
            {
                foreach (var propertyKey in keys)
                {
                    var descriptor = shaped ? null : o.GetOwnProperty(propertyKey);
                    if (descriptor is not null && (descriptor == Jint.Runtime.Descriptors.PropertyDescriptor.Undefined || !descriptor.Enumerable))
                    {
                        continue;
                    }

                    var name = propertyKey.ToString();
                    Converted item;
                    try
                    {
                        // A plain object's own data property is its descriptor's value; anything else (a getter, a proxy's
                        // trap) is read through Get, as JSON.stringify does.
                        var value = descriptor is not null && o is JsObject && descriptor.IsDataDescriptor() ? descriptor.Value : o.Get(propertyKey);
                        item = Convert(ref state, value, depth + 1, propertyKey);
                    }
                    catch (NotJsonAt ex)
                    {
                        ex.Segments.Add("." + name);
                        throw;
                    }

                    if (!item.IsUndefined)
                    {
                        state.Charge(name.Length + 4);
                        properties[count++] = new(name, item.Node);
                    }
                }

                // Made at its final size (a collection's count sizes the dictionary) rather than grown one property at a
                // time; own keys are distinct, so nothing is replaced.
                return new JsonObject(new ArraySegment<KeyValuePair<string, JsonNode?>>(properties, 0, count));
            }
            finally
            {
                ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Return(properties, clearArray: true);
            }
        }
        finally
        {
            state.Leave();
        }
    }
}

/// <summary>
/// The layout of the documents one engine's runs get as <c>event.data</c>: the writes to a collection usually carry the
/// same names in the same order, and filling a layout's slots costs a run less than a hidden-class transition per name
/// (<see cref="JsObject.CreateFromEntries(Engine, ReadOnlySpan{KeyValuePair{string, JsValue}})"/>: about 1 µs of a create
/// with a before trigger, issue 9, item 10). One engine's, used by one run at a time. A layout is made the second time
/// the same names come in a row, so documents whose names vary cost one small array per run and no layout; Jint keeps
/// the hidden class of a dropped layout only as long as the layout lives.
/// </summary>
internal sealed class DocumentLayouts
{
    private string[]? _names;
    private JsObjectLayout? _layout;

    // The names remembered cannot be a layout (a name starting with a digit sorts ahead of the others, or too many).
    private bool _noLayout;

    /// <summary>The layout of <paramref name="document"/>'s names, or null (then the next call may have it).</summary>
    public JsObjectLayout? Find(JsonObject document)
    {
        var names = _names;
        if (names is null || names.Length != document.Count)
        {
            return Remember(document);
        }

        var i = 0;
        foreach (var (name, _) in document)
        {
            if (!string.Equals(name, names[i++], StringComparison.Ordinal))
            {
                return Remember(document);
            }
        }

        if (_layout is null && !_noLayout)
        {
            try
            {
                _layout = new JsObjectLayout(names);
            }
            catch (ArgumentException)
            {
                _noLayout = true;
            }
        }

        return _layout;
    }

    private JsObjectLayout? Remember(JsonObject document)
    {
        var names = new string[document.Count];
        var noLayout = false;
        var i = 0;
        foreach (var (name, _) in document)
        {
            // __proto__ stays an own property on the entries' path; a leading digit is refused by a layout.
            noLayout |= name.Length == 0 || char.IsAsciiDigit(name[0]) || name == "__proto__";
            names[i++] = name;
        }

        _names = names;
        _layout = null;
        _noLayout = noLayout;
        return null;
    }
}
