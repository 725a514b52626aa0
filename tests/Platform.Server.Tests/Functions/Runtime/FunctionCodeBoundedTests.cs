using Jint;
using Platform.Server.Functions.Runtime;

namespace Platform.Server.Tests.Functions.Runtime;

/// <summary>
/// Which modules are bounded (<see cref="FunctionCode.IsBounded"/>) and so run on the caller's thread: only code that
/// can neither loop, call, define functions nor build cycles, with a shallow syntax tree. Everything else keeps the run
/// thread, whose stack and isolation the limits were built for.
/// </summary>
public sealed class FunctionCodeBoundedTests
{
    [Theory]
    [InlineData("export default async function (ctx) { return { data: { ...ctx.event.data, checked: true } }; }")]
    [InlineData("export default async (ctx) => ({ echo: ctx.args.n })")]
    [InlineData("export default async function (ctx) {\n  const d = ctx.event.data;\n  return { data: { ...d, slug: `${d.owner}-${d.title}`, reviewed: d.priority > 5 ? false : true } };\n}")] // docs/functions-runtime.md
    [InlineData("export default function (ctx) { const d = ctx.event.data; if (!d.title) { throw 'a title is required'; } return { data: { ...d, slug: `${d.title}-1` } }; }")]
    [InlineData("export default async function ({ event }) { const { data: { n = 0, ...rest } } = event; return n > 1 ? { data: rest } : undefined; }")]
    [InlineData("export default async function (ctx) { let n = ctx.args?.n ?? 0; n += 1; switch (n) { case 1: n = 2; break; default: n = 3; } try { return [n, ...ctx.args.list]; } catch (e) { return null; } }")]
    public void IsBounded_StraightLineCodeIs(string code) => Assert.True(Bounded(code));

    [Theory]
    [InlineData("export default async function (ctx) { while (true) {} }")]
    [InlineData("export default async function (ctx) { for (const k in ctx.args) {} }")]
    [InlineData("export default async function (ctx) { for (;;) {} }")]
    [InlineData("export default async function (ctx) { do {} while (true); }")]
    [InlineData("export default async function (ctx) { for (const x of ctx.args.list) {} }")]
    [InlineData("export default async function (ctx) { ctx.log('x'); }")]
    [InlineData("export default async function (ctx) { return await ctx.db.collection('a').get('b'); }")]
    [InlineData("export default async function (ctx) { return new Date(); }")]
    [InlineData("export default async function (ctx) { throw new Error('x'); }")]
    [InlineData("export default async function (ctx) { return 'x'.repeat(10); }")]
    [InlineData("export default async function (ctx) { return `${ctx.args}`; }\nconst other = 1;")]
    [InlineData("export default async function f(ctx) { const g = () => 1; return g; }")]
    [InlineData("export default async function (ctx) { return { get x() { return 1; } }; }")]
    [InlineData("export default async function (ctx) { return { m() { return 1; } }; }")]
    [InlineData("export default async function (ctx) { const a = {}; a.self = a; return 1; }")]
    [InlineData("export default async function (ctx) { const a = []; [a[0]] = [a]; return 1; }")]
    [InlineData("export default async function (ctx) { const a = { n: 1 }; a.n++; return 1; }")]
    [InlineData("export default async function (ctx) { return /(a+)+$/.test; }")]
    [InlineData("export default async function (ctx) { return 2n; }")]
    [InlineData("export default async function (ctx) { class A {} return 1; }")]
    [InlineData("export default async function (ctx) { await null; return 1; }")]
    [InlineData("export default async function (ctx) { return String.raw`x`; }")]
    [InlineData("export default async function (ctx) { l: { break l; } }")]
    [InlineData("export default function* (ctx) { }")]
    [InlineData("let runs = 0;\nexport default async function (ctx) { runs++; return runs; }")]
    [InlineData("const handler = async (ctx) => 1;\nexport default handler;")]
    public void IsBounded_AnythingThatMayLoopCallOrRecurseIsNot(string code) => Assert.False(Bounded(code));

    [Fact]
    public void IsBounded_ATreeDeeperThanTheLimitIsNot()
    {
        var shallow = "export default async function (ctx) { return " + new string('[', 10) + "1" + new string(']', 10) + "; }";
        var deep = "export default async function (ctx) { return " + new string('[', FunctionCode.MaxBoundedDepth) + "1" + new string(']', FunctionCode.MaxBoundedDepth) + "; }";

        Assert.True(Bounded(shallow));
        Assert.False(Bounded(deep));
    }

    [Theory]
    [InlineData("export default async function (ctx) { return { data: { ...ctx.event.data, checked: true } }; }")]
    [InlineData("export default async (ctx) => ({ echo: ctx.args.n })")]
    [InlineData("export default async ctx => ctx.args")]
    [InlineData("export default async function named(ctx) {\n  return { data: { ...ctx.event.data, checked: true } };\n}")]
    public void WithoutAsync_ABoundedAsyncFunctionBecomesPlain_AtTheSamePositions(string code)
    {
        var (module, _) = FunctionCode.Parse(code, 1024 * 1024);

        var plain = FunctionCode.WithoutAsync(code, module!.Value);

        Assert.NotNull(plain);
        var before = (Acornima.Ast.IFunction)((Acornima.Ast.ExportDefaultDeclaration)module.Value.Program!.Body[0]).Declaration;
        var after = (Acornima.Ast.IFunction)((Acornima.Ast.ExportDefaultDeclaration)plain.Value.Program!.Body[0]).Declaration;
        Assert.True(before.Async);
        Assert.False(after.Async);

        // Every error's line and column stays where the author wrote it: the body starts where it started.
        Assert.Equal(before.Body.Location, after.Body.Location);
        Assert.Equal(before.Body.Range, after.Body.Range);
    }

    [Theory]
    [InlineData("export default function (ctx) { return ctx.args; }")] // not async: nothing to do
    [InlineData("export default async function (ctx) { return await ctx.db.collection('a').get('b'); }")] // not bounded
    [InlineData("export default async function (ctx) { return 1; }\nconst other = 2;")] // not bounded: more than the export
    [InlineData("export default async function self(ctx) { return { data: { kind: self.constructor.name } }; }")] // names itself
    public void WithoutAsync_LeavesEverythingElseAlone(string code)
    {
        var (module, errors) = FunctionCode.Parse(code, 1024 * 1024);
        Assert.Empty(errors);

        Assert.Null(FunctionCode.WithoutAsync(code, module!.Value));
    }

    private static bool Bounded(string code)
    {
        var (module, errors) = FunctionCode.Parse(code, 1024 * 1024);
        Assert.Empty(errors);
        return FunctionCode.IsBounded(module!.Value.Program!);
    }
}
