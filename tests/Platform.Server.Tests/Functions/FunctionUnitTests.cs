using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Functions;
using Platform.Server.Functions.Runs;
using Platform.Server.Rules;

namespace Platform.Server.Tests.Functions;

public sealed class FunctionUnitTests
{
    [Fact]
    public void NewRunId_SortsByTime_AndStaysUnique()
    {
        var start = new DateTimeOffset(2026, 12, 6, 13, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 2000).Select(i => FunctionExecutor.NewRunId(start.AddMilliseconds(i / 2))).ToList();

        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{24}$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        // Within one millisecond the order is random; across milliseconds, a later id sorts later.
        for (var i = 2; i < ids.Count; i += 2)
        {
            Assert.True(string.CompareOrdinal(ids[i], ids[i - 1]) > 0 && string.CompareOrdinal(ids[i], ids[i - 2]) > 0, $"{ids[i]} does not sort after {ids[i - 1]}");
        }

        Assert.StartsWith(start.ToUnixTimeMilliseconds().ToString("x12", System.Globalization.CultureInfo.InvariantCulture), ids[0], StringComparison.Ordinal);
    }

    [Fact]
    public void SecretMasker_MasksWholeValuesOfFourCharactersOrMore()
    {
        var masker = new SecretMasker(["sk_live_123", "sk_live_123456", "abc", "pass"]);
        Assert.Equal("key=*** long=*** short=abc word=***word", masker.Apply("key=sk_live_123 long=sk_live_123456 short=abc word=password"));
        var masked = masker.Apply(JsonNode.Parse("""{ "token": "Bearer sk_live_123", "pass": [1, "pass"], "n": 5 }"""));
        Assert.Equal("""{"token":"Bearer ***","***":[1,"***"],"n":5}""", masked!.ToJsonString());
    }

    [Theory]
    [InlineData("""{"KEY":"p\"a\\ss/w rd"}""")] // JSON.stringify(ctx.env)
    [InlineData("""\"KEY\":\"p\\\"a\\\\ss/w rd\"}""")] // JSON.stringify(JSON.stringify(ctx.env))
    [InlineData("https://x.io/?k=p%22a%5Css%2Fw%20rd&n=1")] // encodeURIComponent
    [InlineData("https://x.io/?k=p%22a%5css%2fw%20rd&n=1")] // lower-case hex
    [InlineData("https://x.io/p%22a%5Css/w%20rd")] // encodeURI
    [InlineData("k=p%22a%5Css%2Fw+rd")] // form encoding
    [InlineData("p\"a\\ss/w rd")] // the value itself
    public void SecretMasker_MasksTheValue_EscapedOrEncoded(string text)
    {
        var masker = new SecretMasker(["p\"a\\ss/w rd"]);
        var masked = masker.Apply(text);
        Assert.Contains(SecretMasker.Mask, masked, StringComparison.Ordinal);
        Assert.DoesNotContain("ss", masked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("user:")]
    [InlineData("ab")]
    public void SecretMasker_MasksTheValueInBase64_AtAnyAlignment(string prefix)
    {
        const string secret = "sk_live_4f9a2b7c1d";
        var masker = new SecretMasker([secret]);
        foreach (var encode in new Func<byte[], string>[] { Convert.ToBase64String, b => Convert.ToBase64String(b).Replace('+', '-').Replace('/', '_').TrimEnd('=') })
        {
            var header = "Basic " + encode(System.Text.Encoding.UTF8.GetBytes(prefix + secret + ":x"));
            var masked = masker.Apply(header);
            Assert.Contains(SecretMasker.Mask, masked, StringComparison.Ordinal);

            // The 18 bytes are 24 Base64 characters; all but the one or two at each end that also hold bits of the
            // bytes around it are masked.
            Assert.True(masked.Length <= header.Length - 20, $"{header} -> {masked}");
        }

        // Short Base64 runs are left alone: a 4-byte secret has none of 8 characters.
        Assert.Equal("Basic YWJjZA==", new SecretMasker(["abcd"]).Apply("Basic YWJjZA=="));
    }

    [Fact]
    public void SecretMasker_WithoutSecrets_CopiesUnchanged()
    {
        var masker = new SecretMasker([]);
        var node = JsonNode.Parse("""{ "a": "b" }""");
        Assert.Equal(node!.ToJsonString(), masker.Apply(node)!.ToJsonString());
    }

    [Theory]
    [InlineData("auth != null", null, true, true)]
    [InlineData("auth != null", null, false, false)]
    [InlineData("args.code in ['SUMMER', 'WINTER']", "{\"code\": \"SUMMER\"}", false, true)]
    [InlineData("args.code in ['SUMMER', 'WINTER']", "{\"code\": \"SPRING\"}", false, false)]
    [InlineData("'vip' in auth.roles && args.amount <= 100", "{\"amount\": 50}", true, true)]
    [InlineData("'vip' in auth.roles && args.amount <= 100", "{\"amount\": 500}", true, false)]
    [InlineData("args == null", null, false, true)]
    [InlineData("now > '2020-01-01'", null, false, true)]
    public void InvokeRule_ReadsAuthArgsAndNow(string rule, string? argsJson, bool signedIn, bool expected)
    {
        var context = new RuleContext
        {
            Auth = signedIn ? new JsonObject { ["id"] = "u1", ["roles"] = new JsonArray("vip") } : null,
            Args = argsJson is null ? null : JsonNode.Parse(argsJson),
            Now = "2026-01-01T00:00:00.000Z",
        };
        Assert.Equal(expected, RuleCompiler.CompileInvoke(rule).Evaluate(context));
    }

    [Fact]
    public void CollectionRules_StillRefuseArgs()
    {
        var error = Assert.Throws<InvalidInputException>(() => RuleCompiler.Compile(RuleOperation.Get, "args.x == 1"));
        Assert.Equal("rules.get", error.Field);
        Assert.Equal(0, error.Position);
        Assert.False(RuleOperations.TryParse("invoke", out _));
    }

    [Fact]
    public void RunJson_RoundTrips()
    {
        var run = new FunctionRunRecord(
            "0123456789abcdef01234567", "f", 3, RunTrigger.Document, "evt-1", 2, RunStatus.Failed,
            new DateTimeOffset(2026, 5, 6, 7, 8, 9, 123, TimeSpan.Zero), 42, ["a", "b"], new FunctionError("boom", 3, 7),
            JsonNode.Parse("""{ "x": 1 }"""), null, true, JsonNode.Parse("[1]"),
            new FunctionEvent("evt-1", TriggerOperation.Update, "orders", "o1", new JsonObject { ["n"] = 1 }, new JsonObject { ["n"] = 2 }));
        var json = FunctionRunJson.ToJson(run);
        var back = FunctionRunJson.FromJson(json);
        Assert.Equal(json.ToJsonString(), FunctionRunJson.ToJson(back).ToJsonString());
        Assert.Equal(json.ToJsonString(), FunctionRunJson.ToJson(FunctionRunJson.FromJson(FunctionRunJson.ToDocument(run))).ToJsonString());
    }

    [Fact]
    public void RunDocument_LeavesOutWhatASuccessfulRunDoesNotHave_AndReadsBackAsTheSameRun()
    {
        // A before trigger's successful run as it is stored: no error, rejection, args or logs; an event without documents.
        var run = new FunctionRunRecord(
            "0123456789abcdef01234567", "f", 3, RunTrigger.Document, "evt-1", 1, RunStatus.Succeeded,
            new DateTimeOffset(2026, 5, 6, 7, 8, 9, 123, TimeSpan.Zero), 0, [], null,
            JsonNode.Parse("""{ "data": { "n": 1 } }"""), null, false, null,
            new FunctionEvent("evt-1", TriggerOperation.Create, "orders", "o1", null, null));

        var document = FunctionRunJson.ToDocument(run);

        Assert.Equal(
            ["_id", "_version", "_createdAt", "_updatedAt", "_createdBy", "function", "version", "trigger", "attempt", "status", "startedAt", "durationMs", "deadLetter", "eventId", "result", "event"],
            document.Select(p => p.Key));
        Assert.Equal(["id", "type", "collection", "documentId"], document["event"]!.AsObject().Select(p => p.Key));
        var api = FunctionRunJson.ToJson(FunctionRunJson.FromJson(document));
        Assert.Equal(FunctionRunJson.ToJson(run).ToJsonString(), api.ToJsonString());
        Assert.Equal("[]", api["logs"]!.ToJsonString());
        Assert.True(api.ContainsKey("error") && api["error"] is null && api.ContainsKey("rejection") && api.ContainsKey("args"));
    }

    public static TheoryData<string> RunShapes => ["full", "successful before run", "scheduled", "unicode and escapes"];

    [Theory]
    [MemberData(nameof(RunShapes))]
    public void RunUtf8Json_IsTheStoredDocumentsJson(string shape)
    {
        var startedAt = new DateTimeOffset(2026, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);
        var run = shape switch
        {
            "full" => new FunctionRunRecord(
                "run-1", "f", 3, RunTrigger.Document, "evt-1", 2, RunStatus.Failed, startedAt, 42, ["a", "b"],
                new FunctionError("boom", 3, 7), JsonNode.Parse("""{ "x": [1, { "y": null }] }"""), new FunctionRejection(409, "no"), true, JsonNode.Parse("[1]"),
                new FunctionEvent("evt-1", TriggerOperation.Update, "orders", "o1", new JsonObject { ["n"] = 1 }, new JsonObject { ["n"] = 2 }, new JsonObject { ["n"] = 3 })),
            "successful before run" => new FunctionRunRecord(
                "0123456789abcdef01234567", "f", 3, RunTrigger.Document, "evt-1", 1, RunStatus.Succeeded, startedAt, 0, [], null,
                JsonNode.Parse("""{ "data": { "_id": "o1", "_version": 1, "n": 1, "tags": ["a"], "checked": true } }"""), null, false, null,
                new FunctionEvent("evt-1", TriggerOperation.Create, "orders", "o1", null, null)),
            "scheduled" => new FunctionRunRecord(
                "run-2", "nightly", 1, RunTrigger.Schedule, null, 1, RunStatus.TimedOut, startedAt, 1000, [], new FunctionError("late"), null, null, false, null, null,
                startedAt.AddMinutes(-1)),
            _ => new FunctionRunRecord(
                "run-3", "f", 1, RunTrigger.Callable, null, 1, RunStatus.Succeeded, startedAt, 1, ["é \"quoted\" <b> \u2028 \n"], null,
                new JsonObject { ["text"] = "ü\u0001</script>", ["big"] = long.MaxValue, ["d"] = 0.1 }, null, false, new JsonObject { ["k"] = "&" }, null),
        };

        var expected = FunctionRunJson.ToDocument(run).ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(FunctionRunJson.ToUtf8Json(run)));
    }

    public static TheoryData<RunTrigger, RunStatus, TriggerOperation> EveryName()
    {
        // Every trigger, status and event type at least once: the record writes them from tables indexed by value.
        var data = new TheoryData<RunTrigger, RunStatus, TriggerOperation>();
        var triggers = Enum.GetValues<RunTrigger>();
        var statuses = Enum.GetValues<RunStatus>();
        var types = Enum.GetValues<TriggerOperation>();
        for (var i = 0; i < Math.Max(triggers.Length, Math.Max(statuses.Length, types.Length)); i++)
        {
            data.Add(triggers[i % triggers.Length], statuses[i % statuses.Length], types[i % types.Length]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryName))]
    public void RunUtf8Json_WritesEveryTriggerStatusAndEventTypeAsTheDocumentDoes(RunTrigger trigger, RunStatus status, TriggerOperation type)
    {
        var run = new FunctionRunRecord(
            "run-4", "f", 2, trigger, "evt-4", 1, status, DateTimeOffset.UnixEpoch.AddTicks(1234567), 5, [], new FunctionError("e", null, 4), null,
            new FunctionRejection(403, "m"), false, null, new FunctionEvent("evt-4", type, "orders", "o4", null, null));

        var expected = FunctionRunJson.ToDocument(run).ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(FunctionRunJson.ToUtf8Json(run)));
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(FunctionRunJson.ToUtf8Json(run, eventDocuments: true, Platform.Server.Common.Timestamps.Format(run.StartedAt))));

        // A table row (SQLite) leaves out the collection's system fields but _id, and nothing else.
        var document = FunctionRunJson.ToDocument(run);
        foreach (var name in new[] { "_version", "_createdAt", "_updatedAt", "_createdBy" })
        {
            document.Remove(name);
        }

        Assert.Equal(
            document.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
            System.Text.Encoding.UTF8.GetString(FunctionRunJson.ToUtf8Json(run, eventDocuments: true, Platform.Server.Common.Timestamps.Format(run.StartedAt), documentFields: false)));
    }

    [Fact]
    public void RunUtf8Json_WithoutEventDocuments_IsTheSlimRecordsJson()
    {
        // A successful before run's record is written without copying the record to null its event's documents.
        var run = new FunctionRunRecord(
            "0123456789abcdef01234567", "f", 3, RunTrigger.Document, "evt-1", 1, RunStatus.Succeeded, DateTimeOffset.UnixEpoch, 0, ["line"], null,
            JsonNode.Parse("""{ "data": { "n": 1, "checked": true } }"""), null, false, null,
            new FunctionEvent("evt-1", TriggerOperation.Update, "orders", "o1", new JsonObject { ["n"] = 0 }, new JsonObject { ["n"] = 2 }, new JsonObject { ["n"] = 1 }));

        var slim = System.Text.Encoding.UTF8.GetString(FunctionRunJson.ToUtf8Json(Platform.Server.Functions.Triggers.BeforeTriggers.Slim(run)));

        Assert.Equal(slim, System.Text.Encoding.UTF8.GetString(FunctionRunJson.ToUtf8Json(run, eventDocuments: false)));
        Assert.DoesNotContain("\"before\"", slim, StringComparison.Ordinal);
        Assert.Contains("\"before\"", System.Text.Encoding.UTF8.GetString(FunctionRunJson.ToUtf8Json(run)), StringComparison.Ordinal);
    }
}
