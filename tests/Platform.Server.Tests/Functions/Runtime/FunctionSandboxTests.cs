using System.Text.Json.Nodes;
using Platform.Server.Functions;

namespace Platform.Server.Tests.Functions.Runtime;

/// <summary>The sandbox: code checks, limits, outcomes, results, logs and the engine pool (DESIGN.md section 9).</summary>
public sealed class FunctionSandboxTests(FunctionRuntimeFixture fixture) : IClassFixture<FunctionRuntimeFixture>
{
    [Fact]
    public void Check_AcceptsAModuleWithAnAsyncDefaultFunction()
    {
        Assert.Empty(fixture.Runtime.Check("export default async function (ctx) { return 1; }"));
        Assert.Empty(fixture.Runtime.Check("const handler = async (ctx) => 1;\nexport default handler;"));
        Assert.Empty(fixture.Runtime.Check("async function h(ctx) { return 1; }\nexport { h as default };"));
    }

    [Fact]
    public void Check_ReportsSyntaxErrorsWithOneBasedLineAndColumn()
    {
        var error = Assert.Single(fixture.Runtime.Check("export default async function (ctx) {\n  const x = ;\n}"));

        Assert.Equal(2, error.Line);
        Assert.Equal(13, error.Column);
        Assert.Contains("Unexpected token", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("export const x = 1;", "no default export", 1, 1)]
    [InlineData("const a = 1;\nexport default 42;", "must be a function", 2, 1)]
    [InlineData("export default class Handler {}", "must be a function", 1, 1)]
    [InlineData("import x from 'other';\nexport default async function (ctx) {}", "cannot import", 1, 1)]
    public void Check_RefusesModulesOfTheWrongShape(string code, string expected, int line, int column)
    {
        var errors = fixture.Runtime.Check(code);

        var error = Assert.Single(errors);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void Check_RefusesCodeLongerThanMaxCodeLength()
    {
        var code = "export default async function (ctx) { return 1; }\n//" + new string('x', new FunctionOptions().MaxCodeLength);

        var error = Assert.Single(fixture.Runtime.Check(code));

        Assert.Contains("MaxCodeLength", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AnswersTheAwaitedResultOfTheDefaultExport()
    {
        var result = await fixture.RunAsync("export default async function (ctx) { await null; return { sum: 1 + 2, list: [1, 'a', null, true] }; }");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"sum":3,"list":[1,"a",null,true]}"""), result.Result));
        Assert.Null(result.Error);
    }

    [Fact]
    public async Task Run_UndefinedResultIsNull_AndASyncFunctionWorksToo()
    {
        var undefinedResult = await fixture.RunAsync("export default async function (ctx) { }");
        var sync = await fixture.RunAsync("export default function (ctx) { return 'sync'; }");

        Assert.Equal(RunStatus.Succeeded, undefinedResult.Status);
        Assert.Null(undefinedResult.Result);
        Assert.Equal("sync", sync.Result!.GetValue<string>());
    }

    [Fact]
    public async Task Run_AThrowFailsWithTheMessageAndItsPositionInTheUsersCode()
    {
        var result = await fixture.RunAsync("export default async function (ctx) {\n  const x = 1;\n    throw new Error('boom');\n}");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("Error: boom", result.Error!.Message);
        Assert.Equal(3, result.Error.Line);
        Assert.Equal(11, result.Error.Column);
    }

    [Fact]
    public async Task Run_ARuntimeTypeErrorInASyncFunctionHasItsPosition()
    {
        var result = await fixture.RunAsync("export default function (ctx) {\n  return null.foo;\n}");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.StartsWith("TypeError:", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    [Fact]
    public async Task Run_ATopLevelThrowFailsTheRunWithItsPosition()
    {
        var result = await fixture.RunAsync("const a = 1;\nthrow new RangeError('at start');\nexport default async function (ctx) { }");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("RangeError: at start", result.Error!.Message);
        Assert.Equal(2, result.Error.Line);
    }

    [Fact]
    public async Task Run_IsStrict_AssigningAnUndeclaredNameFails()
    {
        var result = await fixture.RunAsync("export default async function (ctx) {\n  undeclared = 5;\n  return 1;\n}");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.StartsWith("ReferenceError:", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    [Fact]
    public async Task Run_HasNoClrAccessAndNoStringCompilation()
    {
        var result = await fixture.RunAsync("""
            export default async function (ctx) {
              let evalError = null;
              try { eval('1 + 1'); } catch (e) { evalError = e.name; }
              let fnError = null;
              try { new Function('return 1')(); } catch (e) { fnError = e.name; }
              return [typeof importNamespace, typeof System, typeof clrHelper, typeof host, evalError, fnError];
            }
            """);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal("""["undefined","undefined","undefined","undefined","TypeError","TypeError"]""", result.Result!.ToJsonString());
    }

    [Fact]
    public async Task Run_DynamicImportAndShadowRealmImport_AreTypeErrorsTheScriptCanCatch()
    {
        // Jint's default loader threw a host exception: no try caught it, and the run ended as an unexpected runtime
        // failure without a line, logged at Error.
        var result = await fixture.RunAsync("""
            export default async function (ctx) {
              const caught = [];
              for (const load of [() => import('/etc/hostname'), () => import('./x.js'), () => new ShadowRealm().importValue('/etc/passwd', 'default')]) {
                try { await load(); caught.push('loaded'); } catch (e) { caught.push(e.name + ': ' + e.message); }
              }
              return caught;
            }
            """);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var caught = result.Result!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(3, caught.Count);
        // ShadowRealm wraps what its realm threw in a TypeError of the caller's realm.
        Assert.All(caught, text => Assert.Contains("TypeError: Cannot import '", text, StringComparison.Ordinal));

        var uncaught = await fixture.RunAsync("export default async function (ctx) {\n  return await import('x');\n}");
        Assert.Equal(RunStatus.Failed, uncaught.Status);
        Assert.StartsWith("TypeError: Cannot import 'x'", uncaught.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ARegexThatBacktracksPastItsBudget_FailsSayingSo_NotAsAnUnexpectedRuntimeFailure()
    {
        var definition = FunctionRuntimeFixture.Definition("""
            export default async function (ctx) {
              return /(a+)+$/.test('a'.repeat(64) + 'b');
            }
            """) with { TimeoutSeconds = 1 };

        var result = await fixture.Runtime.RunAsync(definition, FunctionRuntimeFixture.Invocation(), new Dictionary<string, string>(), TestContext.Current.CancellationToken);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.StartsWith("A regular expression ran longer than 1 s", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AnInfiniteLoopTimesOutAtTheBudget()
    {
        var invocation = FunctionRuntimeFixture.Invocation() with { Timeout = TimeSpan.FromMilliseconds(300) };

        var result = await fixture.RunAsync("export default async function (ctx) { while (true) {} }", invocation);

        Assert.Equal(RunStatus.TimedOut, result.Status);
        Assert.Contains("budget", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TheBudgetCoversTimeSpentAfterAwaits()
    {
        var invocation = FunctionRuntimeFixture.Invocation() with { Timeout = TimeSpan.FromMilliseconds(300) };

        var result = await fixture.RunAsync("export default async function (ctx) { for (let i = 0; i < 3; i++) { await null; } while (true) {} }", invocation);

        Assert.Equal(RunStatus.TimedOut, result.Status);
    }

    [Fact]
    public async Task Run_TooManyStatementsTimesOut()
    {
        using var runtime = fixture.CreateRuntime(o => o.MaxStatements = 10_000);

        var result = await fixture.RunAsync("export default async function (ctx) { let n = 0; while (true) { n++; } }", runtime: runtime);

        Assert.Equal(RunStatus.TimedOut, result.Status);
        Assert.Contains("10000 statements", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AllocatingWithoutEndFailsAtTheMemoryBudget()
    {
        var result = await fixture.RunAsync("export default async function (ctx) { const a = []; while (true) a.push('x'.repeat(1000) + a.length); }", memoryMb: 4);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("memory budget of 4 MB", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnboundedRecursionFailsAtTheRecursionLimit()
    {
        var result = await fixture.RunAsync("function f(n) { return f(n + 1) + 1; }\nexport default async function (ctx) { return f(0); }");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("deeper than 256 calls", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TenThousandDeepRecursionDoesNotCrashTheHost()
    {
        // At the highest allowed limit. Jint counts depth per call site, so f must recurse past 10,000 through one site;
        // whichever ends it first (the limit, or the stack guard on a smaller stack), the run fails and the host lives.
        using var runtime = fixture.CreateRuntime(o => o.MaxRecursion = 10_000);
        var code = "function f(n) { return n === 0 ? 0 : 1 + f(n - 1); }\nexport default async function (ctx) { return f(1000000); }";

        var deep = await fixture.RunAsync(code, runtime: runtime);
        var getter = await fixture.RunAsync("const o = { get x() { return this.x; } };\nexport default async function (ctx) { return o.x; }", runtime: runtime);
        var after = await fixture.RunAsync("export default async function (ctx) { return 'still here'; }", runtime: runtime);

        // The stack guard or the recursion limit ends it as a failed run; the test host is alive to see it.
        Assert.Equal(RunStatus.Failed, deep.Status);
        Assert.Equal(RunStatus.Failed, getter.Status);
        Assert.Equal("still here", after.Result!.GetValue<string>());
    }

    [Theory]
    [InlineData("return () => 1;", "result is a function")]
    [InlineData("return { a: { b: Symbol('s') } };", "result.a.b is a symbol")]
    [InlineData("return { n: 10n };", "result.n is a BigInt")]
    [InlineData("const o = {}; o.self = o; return o;", "cycle")]
    [InlineData("return [1, NaN];", "result[1] is NaN")]
    public async Task Run_AResultThatIsNotJsonFails(string body, string expected)
    {
        var result = await fixture.RunAsync($"export default async function (ctx) {{ {body} }}");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.StartsWith("The result is not JSON: ", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_JsonRulesApplyToResults_UndefinedPropertiesAreLeftOut_DatesBecomeStrings()
    {
        var result = await fixture.RunAsync("export default async function (ctx) { return { a: undefined, b: [undefined], d: new Date(0) }; }");

        Assert.Equal("""{"b":[null],"d":"1970-01-01T00:00:00.000Z"}""", result.Result!.ToJsonString());
    }

    [Fact]
    public async Task Run_ResultConversion_CallsToJsonWithItsKey_ReadsGettersAndProxyTraps_AndSharedObjectsAreNoCycle()
    {
        var result = await fixture.RunAsync("""
            export default async function (ctx) {
              const keyed = { toJSON(key) { return 'key:' + key; } };
              const shared = { x: 1 };
              return {
                prop: keyed,
                items: [keyed, { toJSON(key) { return typeof key; } }],
                getter: { get g() { return 'got'; } },
                proxy: new Proxy({ a: 1 }, { get: (target, p) => (p === 'a' ? 2 : target[p]) }),
                left: shared,
                right: { again: shared },
              };
            }
            """);
        var top = await fixture.RunAsync("export default async function (ctx) { return { toJSON(key) { return { key }; } }; }");
        var deepCycle = await fixture.RunAsync("export default async function (ctx) { const a = { b: { c: [] } }; a.b.c.push(a); return a; }");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(
            """{"prop":"key:prop","items":["key:0","string"],"getter":{"g":"got"},"proxy":{"a":2},"left":{"x":1},"right":{"again":{"x":1}}}""",
            result.Result!.ToJsonString());
        Assert.Equal("""{"key":""}""", top.Result!.ToJsonString());
        Assert.Equal(RunStatus.Failed, deepCycle.Status);
        Assert.Contains("result.b.c[0] refers back to an object that contains it (a cycle)", deepCycle.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AResultLargerThanMaxResultBytesFails()
    {
        var result = await fixture.RunAsync("export default async function (ctx) { return 'x'.repeat(70000); }");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("65536", result.Error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("return { data: { s: 'é€😀<>&\\'\"', n: -0.12345678901234568, e: 1e-300, big: -1.7976931348623157e308 } };")]
    [InlineData("return { data: { s: '\\u0001\\u001f\\t\\n', a: [null, true, false, 0, [], {}], '<k>': '\u2028' } };")]
    [InlineData("return 'ééééé';")]
    public async Task Run_TheResultsSizeBound_HoldsForEveryEscaping(string body)
    {
        // A before trigger's returned data skips its size walk when this bound is within the document limit, so it must
        // bound the JSON as escaped for the response and as stored (unescaped).
        var result = await fixture.RunAsync("export default async function (ctx) { " + body + " }");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var escaped = System.Text.Encoding.UTF8.GetByteCount(result.Result!.ToJsonString());
        var relaxed = System.Text.Encoding.UTF8.GetByteCount(result.Result.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.NotNull(result.ResultBytesAtMost);
        Assert.True(result.ResultBytesAtMost >= Math.Max(escaped, relaxed), $"bound {result.ResultBytesAtMost}, JSON {escaped} / {relaxed} bytes");
    }

    [Fact]
    public async Task Log_JoinsArgumentsLikeConsoleLog_AndConsoleLogIsAnAlias()
    {
        var result = await fixture.RunAsync("export default async function (ctx) { ctx.log('a', 1, { b: [2] }, null, undefined); console.log('from console'); console.error(new Error('bad')); }");

        Assert.Equal(["a 1 {\"b\":[2]} null undefined", "from console", "Error: bad"], result.Logs);
    }

    [Fact]
    public async Task Log_KeepsAtMostMaxLogLines_AndSaysHowManyWereDropped()
    {
        var result = await fixture.RunAsync("export default async function (ctx) { for (let i = 0; i < 12; i++) ctx.log('line ' + i); }");

        Assert.Equal(6, result.Logs.Count);
        Assert.Equal("line 4", result.Logs[4]);
        Assert.StartsWith("[7 more log lines dropped", result.Logs[5], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_KeepsAtMostMaxLogBytes()
    {
        var result = await fixture.RunAsync("export default async function (ctx) { ctx.log('x'.repeat(200)); ctx.log('y'.repeat(200)); ctx.log('z'); }");

        Assert.Equal(3, result.Logs.Count);
        Assert.Equal(new string('x', 200), result.Logs[0]);
        Assert.Equal("z", result.Logs[1]);
        Assert.StartsWith("[1 more log line dropped", result.Logs[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pool_TheSecondRunOfAVersionNeitherParsesNorStartsAnEngine_AndModuleStateIsPerWarmInstance()
    {
        var name = FunctionRuntimeFixture.NewName();
        const string Code = "let runs = 0;\nexport default async function (ctx) { runs++; return runs; }";
        var metrics = fixture.Metrics;

        var first = await fixture.RunAsync(Code, name: name);
        var parsed = metrics.ModulesParsed;
        var created = metrics.EnginesCreated;
        var hits = metrics.PoolHits;
        var second = await fixture.RunAsync(Code, name: name);

        Assert.Equal(1, first.Result!.GetValue<long>());
        Assert.Equal(2, second.Result!.GetValue<long>());
        Assert.Equal(parsed, metrics.ModulesParsed);
        Assert.Equal(created, metrics.EnginesCreated);
        Assert.True(metrics.PoolHits > hits);
    }

    [Fact]
    public async Task Pool_AnEngineWhoseRunEndedWithItsPromisePending_IsNotReused()
    {
        // The engine's shared then handlers must never see a promise of an earlier run settle during a later one.
        var name = FunctionRuntimeFixture.NewName();
        const string Code = """
            let runs = 0;
            export default async function (ctx) {
              runs++;
              if (ctx.args?.hang) { try { ctx.reject(409, 'no'); } catch (e) { } await new Promise(() => {}); }
              return runs;
            }
            """;

        var hung = await fixture.RunAsync(Code, FunctionRuntimeFixture.Invocation() with { Args = new JsonObject { ["hang"] = true } }, name: name);
        var next = await fixture.RunAsync(Code, name: name);

        Assert.Equal(RunStatus.Rejected, hung.Status);
        Assert.Equal(RunStatus.Succeeded, next.Status);
        Assert.Equal(1, next.Result!.GetValue<long>());
    }

    [Fact]
    public async Task Run_AScriptThatReplacesPromiseThen_CannotSettleALaterRunWithAnEarlierRunsHandler()
    {
        var name = FunctionRuntimeFixture.NewName();
        const string Code = """
            let runs = 0;
            const own = Promise.prototype.then;
            Promise.prototype.then = function (fulfilled, rejected) { globalThis.kept ??= fulfilled; return own.call(this, fulfilled, rejected); };
            export default async function (ctx) { runs++; await null; if (globalThis.kept) globalThis.kept('stale'); return runs; }
            """;

        var first = await fixture.RunAsync(Code, name: name);
        var second = await fixture.RunAsync(Code, name: name);

        Assert.Equal(1, first.Result!.GetValue<long>());
        Assert.Equal(2, second.Result!.GetValue<long>());
    }

    [Fact]
    public async Task Run_BoundedCodeRunsOnTheCallersThreadOnceParsed_AndGivesTheSameResult()
    {
        var name = FunctionRuntimeFixture.NewName();
        const string Code = "export default async function (ctx) { return { data: { ...ctx.args, checked: true } }; }";
        var invocation = FunctionRuntimeFixture.Invocation() with { Args = new JsonObject { ["n"] = 1 } };
        var metrics = fixture.Metrics;

        // The first run parses the module on a run thread and learns that it is bounded.
        var first = await fixture.RunAsync(Code, invocation, name: name);
        var inline = metrics.InlineRuns;
        var pending = fixture.RunAsync(Code, invocation, name: name);
        var completedAtOnce = pending.IsCompleted;
        var second = await pending;

        Assert.True(completedAtOnce, "a bounded run completes before RunAsync returns");
        Assert.Equal(inline + 1, metrics.InlineRuns);
        Assert.True(JsonNode.DeepEquals(first.Result, second.Result));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"data":{"n":1,"checked":true}}"""), second.Result));
    }

    /// <summary>
    /// A bounded async function runs as its plain form (FunctionCode.WithoutAsync): every outcome must be the one the
    /// async function gives. The same code followed by a second statement is not bounded, so it stays async (on a run
    /// thread) and is the reference; the statement comes after the function, so lines and columns are the same.
    /// </summary>
    [Theory]
    [InlineData("export default async function (ctx) { return { data: { ...ctx.args, checked: true } }; }")]
    [InlineData("export default async function (ctx) {\n  return ctx.args.missing.deeper;\n}")]
    [InlineData("export default async function (ctx) {\n  throw 'a title is required';\n}")]
    [InlineData("export default async function (ctx) { throw { code: 7, why: ctx.args.n }; }")]
    [InlineData("export default async function (ctx) { }")]
    [InlineData("export default async function (ctx) { return { then: 1, n: ctx.args.n }; }")]
    [InlineData("export default async ({ args: { n, ...rest } }) => ({ n, rest })")]
    [InlineData("export default async function (ctx) { return ctx.run.trigger + ':' + typeof ctx.db + ':' + (this === undefined); }")]
    [InlineData("export default async function (ctx) { return [ctx.args.n, ...ctx.args.list]; }")]
    [InlineData("export default async function (ctx) { return { then: ctx.log }; }")]
    [InlineData("export default async function (ctx) { return { then: ctx.reject }; }")]
    public async Task Run_BoundedAsyncCode_HasTheOutcomeOfTheAsyncFunction(string code)
    {
        var invocation = FunctionRuntimeFixture.Invocation() with { Args = new JsonObject { ["n"] = 1 } };
        var name = FunctionRuntimeFixture.NewName();
        var inline = fixture.Metrics.InlineRuns;

        // Twice: the first run parses the module (on a run thread), the second runs on the caller's thread.
        var first = await fixture.RunAsync(code, invocation, name: name);
        var second = await fixture.RunAsync(code, invocation, name: name);
        var reference = await fixture.RunAsync(code + "\nconst notBounded = 1;", invocation);

        Assert.True(fixture.Metrics.InlineRuns > inline, "the bounded code ran on the caller's thread");
        foreach (var run in new[] { first, second })
        {
            Assert.Equal(reference.Status, run.Status);
            Assert.True(JsonNode.DeepEquals(reference.Result, run.Result), $"{run.Result?.ToJsonString()} against {reference.Result?.ToJsonString()}");
            Assert.Equal(reference.Error, run.Error);
            Assert.Equal(reference.Rejection, run.Rejection);
            Assert.Equal(reference.Logs, run.Logs);
        }
    }

    [Fact]
    public async Task Run_BoundedCodeOnTheCallersThread_StillEndsAtItsBudget()
    {
        // An inline run has no timer: the engine's deadline constraint compares the budget as the script runs.
        var name = FunctionRuntimeFixture.NewName();
        var statements = string.Concat(Enumerable.Repeat(" s = s + ctx.args.n;", 1_000));
        var code = "export default async function (ctx) { let s = 0;" + statements + " return s; }";
        var invocation = FunctionRuntimeFixture.Invocation() with { Args = new JsonObject { ["n"] = 1 } };
        var metrics = fixture.Metrics;

        var first = await fixture.RunAsync(code, invocation, name: name);
        var inline = metrics.InlineRuns;
        var late = await fixture.RunAsync(code, invocation with { Timeout = TimeSpan.FromTicks(1) }, name: name);
        var after = await fixture.RunAsync(code, invocation, name: name);

        Assert.Equal(1_000, first.Result!.GetValue<long>());
        Assert.Equal(inline + 2, metrics.InlineRuns);
        Assert.Equal(RunStatus.TimedOut, late.Status);
        Assert.Contains("longer than its budget", late.Error!.Message, StringComparison.Ordinal);

        // The next run on the caller's thread has its own budget again.
        Assert.Equal(RunStatus.Succeeded, after.Status);
        Assert.Equal(1_000, after.Result!.GetValue<long>());
    }

    [Fact]
    public async Task Run_CodeThatMayLoopOrCallKeepsTheRunThread()
    {
        var name = FunctionRuntimeFixture.NewName();
        const string Code = "export default async function (ctx) { let s = 0; for (let i = 0; i < 3; i++) { s += i; } return s; }";
        var metrics = fixture.Metrics;

        await fixture.RunAsync(Code, name: name);
        var inline = metrics.InlineRuns;
        var second = await fixture.RunAsync(Code, name: name);

        Assert.Equal(3, second.Result!.GetValue<long>());
        Assert.Equal(inline, metrics.InlineRuns);
    }

    [Fact]
    public async Task Pool_ANewVersionGetsAFreshModule()
    {
        var name = FunctionRuntimeFixture.NewName();
        await fixture.RunAsync("export default async function (ctx) { return 1; }", name: name);

        var second = await fixture.RunAsync("export default async function (ctx) { return 2; }", name: name, version: 2);

        Assert.Equal(2, second.Result!.GetValue<long>());
    }

    [Fact]
    public async Task Pool_AnEngineThatHitALimitIsThrownAway()
    {
        var name = FunctionRuntimeFixture.NewName();
        const string Code = "let runs = 0;\nexport default async function (ctx) { runs++; if (ctx.args.spin) { while (true) {} } return runs; }";
        var spin = FunctionRuntimeFixture.Invocation() with { Args = new JsonObject { ["spin"] = true }, Timeout = TimeSpan.FromMilliseconds(200) };
        var plain = FunctionRuntimeFixture.Invocation() with { Args = new JsonObject { ["spin"] = false } };

        Assert.Equal(RunStatus.TimedOut, (await fixture.RunAsync(Code, spin, name: name)).Status);
        var after = await fixture.RunAsync(Code, plain, name: name);

        Assert.Equal(1, after.Result!.GetValue<long>());
    }

    [Fact]
    public async Task Run_ConcurrentRunsOfOneFunctionEachGetTheirOwnEngine()
    {
        var name = FunctionRuntimeFixture.NewName();
        const string Code = "export default async function (ctx) { let s = 0; for (let i = 0; i < 20000; i++) { s += i; } await null; return ctx.args.n * 2 + s * 0; }";

        var runs = Enumerable.Range(0, 12).Select(n => fixture.RunAsync(Code, FunctionRuntimeFixture.Invocation() with { Args = new JsonObject { ["n"] = n } }, name: name));
        var results = await Task.WhenAll(runs);

        Assert.All(results, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal(Enumerable.Range(0, 12).Select(n => (long)n * 2), results.Select(r => r.Result!.GetValue<long>()));
    }

    [Fact]
    public async Task Run_APromiseThatNeverSettlesFails()
    {
        var result = await fixture.RunAsync("export default async function (ctx) { await new Promise(() => {}); }");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("never settled", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CancellationByTheCallerThrows()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fixture.Runtime.RunAsync(
            FunctionRuntimeFixture.Definition("export default async function (ctx) { while (true) {} }"),
            FunctionRuntimeFixture.Invocation(),
            new Dictionary<string, string>(),
            cts.Token));
    }
}
