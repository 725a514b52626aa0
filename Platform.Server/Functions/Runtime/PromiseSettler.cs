using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime.Interop;
using JsFunction = Jint.Native.Function.Function;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// The <c>then</c> handlers that learn how a run's promise settled, made once per engine instead of two functions and
/// a closure per run (issue 9, item 10: a before trigger's run allocates per create). Used only for a genuine promise
/// whose <c>then</c> is still the engine's own <c>Promise.prototype.then</c>, so no script code ever holds the
/// handlers; and an engine whose run ends with its promise unsettled is not reused, so a promise of an earlier run
/// never settles into a later one.
/// </summary>
internal sealed class PromiseSettler
{
    private readonly JsValue _then;
    private bool _armed;

    /// <summary>Made before the engine runs any script: <c>Promise.prototype.then</c> is then still the engine's own.</summary>
    public PromiseSettler(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _then = ((ObjectInstance)((ObjectInstance)engine.GetValue("Promise")).Get("prototype")).Get("then");
        Handlers = [
            new ClrFunction(engine, "fulfilled", (_, args) => Settle(true, args), 1),
            new ClrFunction(engine, "rejected", (_, args) => Settle(false, args), 1),
        ];
    }

    /// <summary>The fulfilled and rejected handlers, in the order <c>then</c> takes them.</summary>
    public JsValue[] Handlers { get; }

    /// <summary>The outcome since <see cref="Arm"/>: (fulfilled, value), or null while the promise is pending.</summary>
    public (bool Fulfilled, JsValue Value)? Outcome { get; private set; }

    /// <summary>True when <paramref name="then"/>, read from <paramref name="value"/>, is the engine's own on a genuine promise.</summary>
    public bool Handles(JsValue value, JsFunction then) => value.IsPromise() && ReferenceEquals(then, _then);

    /// <summary>Starts a run's settling: no outcome yet.</summary>
    public void Arm()
    {
        Outcome = null;
        _armed = true;
    }

    /// <summary>Ends it: a late call (none is expected, see the class remarks) changes nothing.</summary>
    public void Disarm() => _armed = false;

    private JsValue Settle(bool fulfilled, JsValue[] args)
    {
        if (_armed && Outcome is null)
        {
            Outcome = (fulfilled, args.Length > 0 ? args[0] : JsValue.Undefined);
        }

        return JsValue.Undefined;
    }
}
