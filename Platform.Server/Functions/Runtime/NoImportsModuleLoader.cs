using Jint;
using Jint.Runtime;
using Jint.Runtime.Modules;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// The module loader of every function engine. A function is one self-contained module (static imports are refused when
/// the code is saved); this resolves its own module, which the runtime registers under <see cref="FunctionCode.Specifier"/>,
/// and answers any other load, from <c>import()</c> or <c>ShadowRealm.prototype.importValue</c>, with a <c>TypeError</c>
/// the script can catch. Jint's default loader threw a host exception instead, which no <c>try</c> in the script could
/// catch and which ended the run as an unexpected runtime failure, logged at Error with a stack trace.
/// </summary>
internal sealed class NoImportsModuleLoader : IModuleLoader
{
    public static readonly NoImportsModuleLoader Instance = new();

    private NoImportsModuleLoader()
    {
    }

    public ResolvedSpecifier Resolve(string? referencingModuleLocation, ModuleRequest moduleRequest) =>
        new(moduleRequest, moduleRequest.Specifier, Uri: null, SpecifierType.Bare);

    public Module LoadModule(Engine engine, ResolvedSpecifier resolved)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(resolved);
        throw new JavaScriptException(
            engine.Intrinsics.TypeError,
            $"Cannot import '{resolved.Key}': functions cannot import other modules (a function is one self-contained module).");
    }
}
