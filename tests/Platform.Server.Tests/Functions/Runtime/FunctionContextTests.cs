using System.Text.Json.Nodes;
using Platform.Server.Documents;
using Platform.Server.Functions;

namespace Platform.Server.Tests.Functions.Runtime;

/// <summary><c>ctx</c> as DESIGN.md section 9 defines it, against the real document services.</summary>
public sealed class FunctionContextTests(FunctionRuntimeFixture fixture) : IClassFixture<FunctionRuntimeFixture>
{
    private static readonly Caller Alice = new("alice", Privileged: false, new JsonObject { ["id"] = "alice", ["email"] = "alice@test.local", ["roles"] = new JsonArray() });
    private static readonly Caller Bob = new("bob", Privileged: false, new JsonObject { ["id"] = "bob", ["email"] = "bob@test.local", ["roles"] = new JsonArray() });

    [Fact]
    public async Task Db_EveryMethodWorksWithServicePrivileges()
    {
        var c = await fixture.NewCollectionAsync();
        var result = await fixture.RunAsync($$"""
            export default async function (ctx) {
              const col = ctx.db.collection('{{c}}');
              const a = await col.insert({ _id: 'a', n: 1, tag: 'x' });
              await col.insert({ _id: 'b', n: 2, tag: 'x' });
              await col.insert({ _id: 'c', n: 3, tag: 'y' });
              const got = await col.get('a');
              const missing = await col.get('nope');
              const found = await col.find({ tag: 'x' }, { sort: '-n', limit: 5, fields: 'n' });
              const count = await col.count({ n: { $gte: 2 } });
              const all = await col.count();
              const inc = await col.update('a', { $inc: { n: 10 } });
              const merged = await col.update('a', { extra: true });
              const replaced = await col.replace('b', { only: 'this' });
              const deleted = await col.delete('c');
              const afterDelete = await col.get('c');
              return {
                created: [a._id, a.n, a._version], got: got.n, missing, found: found.map(d => [d._id, d.n, d.tag]),
                count, all, inc: inc.n, merged: [merged.n, merged.extra], replaced: [replaced.only, replaced.n], deleted, afterDelete,
              };
            }
            """);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"created":["a",1,1],"got":1,"missing":null,"found":[["b",2,null],["a",1,null]],"count":2,"all":3,
             "inc":11,"merged":[11,true],"replaced":["this",null],"afterDelete":null}
            """), result.Result), result.Result!.ToJsonString());
    }

    [Fact]
    public async Task Db_RefusesBadFieldNames_InEveryWrite()
    {
        // DESIGN.md section 3 holds for a function's writes too: empty, '$'-prefixed, dotted, '_'-prefixed and over-long
        // (1,025 bytes) names, in insert, replace and both kinds of update.
        var c = await fixture.NewCollectionAsync();
        var result = await fixture.RunAsync($$"""
            export default async function (ctx) {
              const col = ctx.db.collection('{{c}}');
              await col.insert({ _id: 'd', n: 1 });
              const codes = [];
              for (const name of ['', '$where', 'a.b', '_secret', 'n'.repeat(1025)]) {
                for (const write of [
                  () => col.insert({ x: { [name]: 1 } }),
                  () => col.replace('d', { x: { [name]: 1 } }),
                  () => col.update('d', { x: { [name]: 1 } }),
                  () => col.update('d', { $set: { x: { [name]: 1 } } }),
                ]) {
                  try { await write(); codes.push('written'); }
                  catch (e) { codes.push(e.status + ' ' + e.code); }
                }
              }
              return { codes, after: await col.get('d'), count: await col.count() };
            }
            """);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.All(result.Result!["codes"]!.AsArray(), code => Assert.Equal("400 invalid_field_name", code!.GetValue<string>()));
        Assert.Equal(20, result.Result["codes"]!.AsArray().Count);
        Assert.Equal(1, result.Result["after"]!["_version"]!.GetValue<long>());
        Assert.Equal(1, result.Result["count"]!.GetValue<long>());
    }

    [Fact]
    public async Task Db_HostErrorsArePlainCatchableJavaScriptErrorsWithCodeAndStatus()
    {
        var c = await fixture.NewCollectionAsync();
        var result = await fixture.RunAsync($$"""
            export default async function (ctx) {
              const errors = [];
              for (const attempt of [
                () => ctx.db.collection('undefined_collection_x').insert({ a: 1 }),
                () => ctx.db.collection('{{c}}').update('missing', { a: 1 }),
                async () => { await ctx.db.collection('{{c}}').insert({ _id: 'dup' }); await ctx.db.collection('{{c}}').insert({ _id: 'dup' }); },
                () => ctx.db.collection('{{c}}').find({ a: { $where: 1 } }),
                () => ctx.db.collection('{{c}}').insert({ $bad: 1 }),
              ]) {
                try { await attempt(); errors.push('no error'); }
                catch (e) { errors.push({ isError: e instanceof Error, name: e.name, code: e.code, status: e.status, message: e.message, stack: String(e.stack) }); }
              }
              return errors;
            }
            """);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var errors = result.Result!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal(["collection_not_found", "not_found", "already_exists"], errors.Take(3).Select(e => e["code"]!.GetValue<string>()));
        Assert.Equal([404L, 404L, 409L], errors.Take(3).Select(e => e["status"]!.GetValue<long>()));
        Assert.Equal([400L, 400L], errors.Skip(3).Select(e => e["status"]!.GetValue<long>()));
        Assert.All(errors.Skip(3), e => Assert.False(string.IsNullOrEmpty(e["code"]!.GetValue<string>())));
        Assert.All(errors, e =>
        {
            Assert.True(e["isError"]!.GetValue<bool>());
            Assert.Equal("Error", e["name"]!.GetValue<string>());
            Assert.DoesNotContain("Exception", e.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("Platform.", e.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("System.", e.ToJsonString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Db_AnUncaughtHostErrorFailsTheRunAtTheLineThatMadeTheCall()
    {
        var c = await fixture.NewCollectionAsync();

        var result = await fixture.RunAsync($"export default async function (ctx) {{\n  const col = ctx.db.collection('{c}');\n  await col.update('missing', {{ a: 1 }});\n}}");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("was not found", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(3, result.Error.Line);
    }

    [Fact]
    public async Task Db_BadArgumentsAreTypeErrors()
    {
        var c = await fixture.NewCollectionAsync();
        var result = await fixture.RunAsync($$"""
            export default async function (ctx) {
              const col = ctx.db.collection('{{c}}');
              const names = [];
              for (const attempt of [() => col.insert(5), () => col.get(''), () => col.find({}, { limit: 'x' }), () => col.find({}, { skip: 1 }), () => ctx.db.collection(7), () => col.insert({ f: () => 1 })]) {
                try { await attempt(); names.push('no error'); } catch (e) { names.push(e.name); }
              }
              return names;
            }
            """);

        Assert.Equal("""["TypeError","TypeError","TypeError","TypeError","TypeError","TypeError"]""", result.Result!.ToJsonString());
    }

    [Fact]
    public async Task UserDb_AppliesTheCallersRules_AndASignedOutVisitorIsRefused()
    {
        var c = await fixture.NewCollectionAsync(new Dictionary<string, string>
        {
            ["create"] = "auth != null",
            ["get"] = "auth != null && doc._createdBy == auth.id",
            ["list"] = "auth != null && doc._createdBy == auth.id",
        });
        const string Prefix = "export default async function (ctx) {\n";
        await fixture.RunAsync(Prefix + $"await ctx.db.collection('{c}').insert({{ _id: 'theirs', v: 0 }}); }}");

        var asAlice = await fixture.RunAsync(
            Prefix + $$"""
              const col = ctx.userDb.collection('{{c}}');
              const mine = await col.insert({ _id: 'mine', v: 1 });
              const theirs = await col.get('theirs');
              const listed = (await col.find()).map(d => d._id);
              const all = await ctx.db.collection('{{c}}').count();
              return { createdBy: mine._createdBy, theirs, listed, all, auth: ctx.auth.id };
            }
            """,
            FunctionRuntimeFixture.Invocation(RunTrigger.Callable) with { Caller = Alice });
        var asVisitor = await fixture.RunAsync(
            Prefix + $"try {{ await ctx.userDb.collection('{c}').insert({{ v: 2 }}); return 'written'; }} catch (e) {{ return [e.code, e.status, ctx.auth]; }} }}");

        Assert.Equal(RunStatus.Succeeded, asAlice.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"createdBy":"alice","theirs":null,"listed":["mine"],"all":2,"auth":"alice"}"""), asAlice.Result), asAlice.Result!.ToJsonString());
        Assert.Equal("""["unauthenticated",401,null]""", asVisitor.Result!.ToJsonString());
    }

    [Fact]
    public async Task SharedContextParts_AreFrozen_AndActForTheRunThatCalls()
    {
        var c = await fixture.NewCollectionAsync(new Dictionary<string, string> { ["create"] = "auth != null" });
        var name = FunctionRuntimeFixture.NewName();
        // The module keeps the collection object of its first run; the second run, another caller's, writes through it.
        var code = $$"""
            let kept = null;
            export default async function (ctx) {
              const first = kept === null;
              kept ??= ctx.userDb.collection('{{c}}');
              const frozen = [Object.isFrozen(ctx.db), Object.isFrozen(ctx.userDb), Object.isFrozen(kept)];
              let threw = false;
              try { ctx.db.collection = null; } catch (e) { threw = e instanceof TypeError; }
              if (first) { return { first, frozen, threw }; }
              const doc = await kept.insert({ v: 1 });
              return { first, frozen, threw, createdBy: doc._createdBy, auth: ctx.auth && ctx.auth.id };
            }
            """;

        var asAlice = await fixture.RunAsync(code, FunctionRuntimeFixture.Invocation(RunTrigger.Callable) with { Caller = Alice }, name: name);
        // Other tests share the engine pool and may evict this engine between the runs: then a run is its engine's first.
        FunctionRunResult asBob;
        var attempts = 0;
        do
        {
            asBob = await fixture.RunAsync(code, FunctionRuntimeFixture.Invocation(RunTrigger.Callable) with { Caller = Bob }, name: name);
        }
        while (asBob.Result?["first"]?.GetValue<bool>() == true && ++attempts < 5);

        Assert.Equal(RunStatus.Succeeded, asAlice.Status);
        Assert.Equal("""{"first":true,"frozen":[true,true,true],"threw":true}""", asAlice.Result!.ToJsonString());
        Assert.Equal(RunStatus.Succeeded, asBob.Status);
        Assert.Equal("""{"first":false,"frozen":[true,true,true],"threw":true,"createdBy":"bob","auth":"bob"}""", asBob.Result!.ToJsonString());
    }

    [Fact]
    public async Task Context_WhatARunChangesOnCtx_IsNotSeenByTheNextRunOnTheSameEngine()
    {
        // ctx, ctx.event and the documents in it share hidden classes per engine: a property one run adds, deletes or
        // overwrites must still be that run's alone.
        var name = FunctionRuntimeFixture.NewName();
        const string Code = """
            let runs = 0;
            let kept = null;
            export default async function (ctx) {
              runs++;
              const seen = { runs, keys: Object.keys(ctx), eventKeys: Object.keys(ctx.event), data: { ...ctx.event.data },
                db: typeof ctx.db, hasLeak: 'leak' in ctx || 'leak' in ctx.event || 'leak' in ctx.event.data };
              // ctx.run is made on first read: read only now, the first run's still names the first run.
              if (kept) { seen.keptRun = kept.run.id; seen.ownRun = ctx.run.id; }
              kept = ctx;
              ctx.leak = 1;
              ctx.event.leak = 2;
              ctx.event.data.leak = 3;
              ctx.event.data.n = 99;
              delete ctx.event.data.title;
              delete ctx.db;
              ctx.event.type = 'changed';
              return seen;
            }
            """;
        FunctionInvocation Invocation() => FunctionRuntimeFixture.Invocation(RunTrigger.Document) with
        {
            Event = new FunctionEvent("ev", TriggerOperation.Create, "tasks", "t1", null, null, new JsonObject { ["title"] = "a", ["n"] = 1 }),
        };

        var firstInvocation = Invocation();
        var first = await fixture.RunAsync(Code, firstInvocation, name: name);
        // Other tests share the engine pool and may evict this engine between the runs: then a run is its engine's first.
        FunctionRunResult second;
        FunctionInvocation secondInvocation;
        var attempts = 0;
        do
        {
            secondInvocation = Invocation();
            second = await fixture.RunAsync(Code, secondInvocation, name: name);
        }
        while (second.Result?["runs"]?.GetValue<long>() == 1 && ++attempts < 5);

        const string Expected = """
            {"keys":["db","userDb","auth","args","event","run","env","log","fetch","reject"],
             "eventKeys":["id","type","collection","documentId","before","after","data"],
             "data":{"title":"a","n":1},"db":"object","hasLeak":false}
            """;
        Assert.Equal(RunStatus.Succeeded, first.Status);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.Equal(2, second.Result!["runs"]!.GetValue<long>());
        Assert.Equal(firstInvocation.RunId, second.Result["keptRun"]!.GetValue<string>());
        Assert.Equal(secondInvocation.RunId, second.Result["ownRun"]!.GetValue<string>());
        second.Result.AsObject().Remove("keptRun");
        second.Result.AsObject().Remove("ownRun");
        foreach (var result in new[] { first.Result!.AsObject(), second.Result.AsObject() })
        {
            result.Remove("runs");
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Expected), result), result.ToJsonString());
        }
    }

    [Fact]
    public async Task Writes_CarryTheFunctionAsOriginOneDeeperThanTheInvocation()
    {
        var c = await fixture.NewCollectionAsync(new Dictionary<string, string> { ["create"] = "true" });
        var name = FunctionRuntimeFixture.NewName();
        var invocation = FunctionRuntimeFixture.Invocation(RunTrigger.Callable) with { Caller = Alice, Depth = 2 };

        var result = await fixture.RunAsync(
            $"export default async function (ctx) {{ await ctx.db.collection('{c}').insert({{ a: 1 }}); await ctx.userDb.collection('{c}').insert({{ b: 1 }}); }}",
            invocation,
            name: name);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var calls = fixture.Recorder.Calls.Where(call => call.Collection == c).ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, call => Assert.Equal(new WriteOrigin(name, 3), call.Caller.Origin));
        Assert.True(calls[0].Caller.Privileged);
        Assert.False(calls[1].Caller.Privileged);
        Assert.Equal("alice", calls[1].Caller.UserId);
    }

    [Fact]
    public async Task Context_ShowsArgsEventRunAndAFrozenEnv()
    {
        var invocation = FunctionRuntimeFixture.Invocation(RunTrigger.Document) with
        {
            RunId = "0123456789abcdef01234567",
            Attempt = 2,
            Args = new JsonObject { ["coupon"] = "SAVE10" },
            Event = new FunctionEvent("ev-1", TriggerOperation.Update, "orders", "o1", new JsonObject { ["n"] = 1 }, new JsonObject { ["n"] = 2 }),
        };
        var name = FunctionRuntimeFixture.NewName();

        var result = await fixture.RunAsync(
            """
            export default async function (ctx) {
              let frozen = false;
              try { ctx.env.API_KEY = 'changed'; } catch (e) { frozen = e instanceof TypeError; }
              frozen = frozen && Object.isFrozen(ctx.run);
              return { args: ctx.args, event: ctx.event, run: ctx.run, env: ctx.env.API_KEY, frozen, auth: ctx.auth };
            }
            """,
            invocation,
            name: name,
            version: 4,
            environment: new Dictionary<string, string> { ["API_KEY"] = "secret-value" });

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"args":{"coupon":"SAVE10"},
             "event":{"id":"ev-1","type":"update","collection":"orders","documentId":"o1","before":{"n":1},"after":{"n":2}},
             "run":{"id":"0123456789abcdef01234567","function":"NAME","version":4,"trigger":"document","attempt":2},
             "env":"secret-value","frozen":true,"auth":null}
            """.Replace("NAME", name, StringComparison.Ordinal)), result.Result), result.Result!.ToJsonString());
    }

    [Fact]
    public async Task Env_WrittenAsJsonOrUrlEncoded_ByTheScript_IsMaskedByTheRunsMasker()
    {
        // The masker's escaped and encoded forms must be the ones the engine writes (JSON.stringify, encodeURI...).
        const string secret = "p\"a\\ss\u0001/w rd\u00e9\nend";
        var result = await fixture.RunAsync(
            """
            export default async function (ctx) {
              ctx.log(ctx.env);
              ctx.log(JSON.stringify(ctx.env));
              ctx.log('twice', JSON.stringify(JSON.stringify(ctx.env)));
              ctx.log('https://x.io/?k=' + encodeURIComponent(ctx.env.API_KEY) + '&n=1');
              ctx.log('https://x.io/' + encodeURI(ctx.env.API_KEY));
              return { all: JSON.stringify(ctx.env), url: encodeURIComponent(ctx.env.API_KEY) };
            }
            """,
            environment: new Dictionary<string, string> { ["API_KEY"] = secret });

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var masker = new Platform.Server.Functions.Runs.SecretMasker([secret]);
        var texts = result.Logs.Select(masker.Apply).Append(masker.Apply(result.Result)!.ToJsonString()).ToList();
        Assert.Equal(6, texts.Count);
        Assert.All(texts, text =>
        {
            Assert.Contains(Platform.Server.Functions.Runs.SecretMasker.Mask, text, StringComparison.Ordinal);
            Assert.DoesNotContain("ss", text, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Reject_EndsTheRunAsRejected_EvenWhenTheScriptCatchesIt()
    {
        var rejected = await fixture.RunAsync("export default async function (ctx) { ctx.reject(409, 'coupon already used'); return 'not reached'; }");
        var caught = await fixture.RunAsync("export default async function (ctx) { try { ctx.reject(422, 'bad'); } catch (e) { } return 'carried on'; }");

        Assert.Equal(RunStatus.Rejected, rejected.Status);
        Assert.Equal(new FunctionRejection(409, "coupon already used"), rejected.Rejection);
        Assert.Null(rejected.Result);
        Assert.Equal(RunStatus.Rejected, caught.Status);
        Assert.Equal(422, caught.Rejection!.Status);
    }

    [Theory]
    [InlineData("200")]
    [InlineData("500")]
    [InlineData("404.5")]
    [InlineData("'404'")]
    public async Task Reject_AStatusOutside400To499IsATypeError(string status)
    {
        var result = await fixture.RunAsync($"export default async function (ctx) {{ ctx.reject({status}, 'x'); }}");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.StartsWith("TypeError: ctx.reject", result.Error!.Message, StringComparison.Ordinal);
        Assert.Null(result.Rejection);
    }
}
