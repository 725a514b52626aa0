using System.Text.Json.Nodes;
using Platform.Sdk.Functions;
using Platform.Server.Tests.Functions;

namespace Platform.Sdk.Tests.Functions;

public sealed class FunctionsClientTests(FunctionSdkFixture fixture) : IClassFixture<FunctionSdkFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Quote(int Total, string Currency);

    [Fact]
    public async Task Definitions_Versions_Rollback_Delete_RoundTrip()
    {
        var admin = fixture.Client.Admin.Functions;
        var name = FunctionSdkFixture.NewName();
        var created = await admin.CreateAsync(new FunctionDefinition
        {
            Name = name,
            Code = "export default async function (ctx) { return 1; }",
            Triggers = { new FunctionTrigger("orders", ["create", "update"]) },
            Callable = new FunctionCallable("auth != null"),
            Retries = 5,
            FetchAllowlist = { "api.example.com" },
        }, Ct);
        Assert.Equal(1, created.Version);
        Assert.Empty(created.NextRuns);
        Assert.Equal("after", Assert.Single(created.Triggers).Phase);
        Assert.Equal("apikey:sdk-function-tests", created.UpdatedBy);

        var read = await admin.GetAsync(name, Ct);
        Assert.Equal("auth != null", read!.Callable!.InvokeRule);
        Assert.Contains(await admin.ListAsync(Ct), f => f.Name == name);

        var updated = await admin.UpdateAsync(new FunctionDefinition { Name = name, Code = "v2" }, expectedVersion: 1, Ct);
        Assert.Equal(2, updated.Version);
        var conflict = await Assert.ThrowsAsync<BaasException>(() => admin.UpdateAsync(new FunctionDefinition { Name = name, Code = "v3" }, expectedVersion: 1, Ct));
        Assert.Equal(412, conflict.Status);

        var staleRollback = await Assert.ThrowsAsync<BaasException>(() => admin.RollbackAsync(name, 1, expectedVersion: 1, Ct));
        Assert.Equal(("version_mismatch", 2), (staleRollback.Code, staleRollback.Problem!["currentVersion"]!.GetValue<int>()));
        var rolled = await admin.RollbackAsync(name, 1, expectedVersion: 2, Ct);
        Assert.Equal(3, rolled.Version);
        Assert.Equal(5, rolled.Retries);
        Assert.Equal(4, (await admin.RollbackAsync(name, 2, Ct)).Version);
        Assert.Equal([4, 3, 2, 1], (await admin.ListVersionsAsync(name, Ct)).Select(v => v.Version));

        Assert.True(await admin.DeleteAsync(name, Ct));
        Assert.False(await admin.DeleteAsync(name, Ct));
        Assert.Null(await admin.GetAsync(name, Ct));
    }

    [Fact]
    public async Task Create_WithASchedule_RunsIt_AndTheRunsShowTheirDueTime()
    {
        var name = FunctionSdkFixture.NewName();
        var created = await fixture.Client.Admin.Functions.CreateAsync(new FunctionDefinition
        {
            Name = name,
            Code = "export default async function (ctx) { return 1; }",
            Schedule = new FunctionSchedule("* * * * * *", "Europe/Berlin"),
        }, Ct);
        Assert.Equal(5, created.NextRuns.Count);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        FunctionRun? run;
        while ((run = (await fixture.Client.Admin.Functions.ListRunsAsync(name, cancellationToken: Ct)).Items.FirstOrDefault()) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "No scheduled run within 45 s.");
            await Task.Delay(100, Ct);
        }

        Assert.Equal("schedule", run.Trigger);
        Assert.NotNull(run.DueAt);
        Assert.True(await fixture.Client.Admin.Functions.DeleteAsync(name, Ct));
    }

    [Fact]
    public async Task OpenJobsSessionAsync_IsForAdminsOnly()
    {
        using var admin = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl });
        await admin.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword, Ct);
        Assert.Equal("admin/jobs", await admin.Admin.Functions.OpenJobsSessionAsync(Ct));

        var error = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Admin.Functions.OpenJobsSessionAsync(Ct));
        Assert.Equal(403, error.Status);
    }

    private sealed record Order(string? Email);

    [Fact]
    public async Task AWriteRejectedByABeforeTrigger_IsABaasExceptionWithItsCodeStatusAndMessage()
    {
        var name = FunctionSdkFixture.NewName();
        var collection = "c" + Guid.NewGuid().ToString("N")[..12];
        await fixture.Client.Admin.Collections.CreateAsync(new Platform.Sdk.Admin.CollectionDefinition { Name = collection }, Ct);
        await fixture.Client.Admin.Functions.CreateAsync(new FunctionDefinition
        {
            Name = name,
            Code = "x",
            Triggers = { new FunctionTrigger(collection, ["create"], "before") },
        }, Ct);
        fixture.Runtime.Handlers[name] = (invocation, _) => invocation.Event!.Data!["email"] is null
            ? FakeFunctionRuntime.Rejected(422, "email is required")
            : FakeFunctionRuntime.Succeeded(null);

        var orders = fixture.Client.Collection<Order>(collection);
        var rejected = await Assert.ThrowsAsync<BaasException>(() => orders.AddAsync(new Order(null), Ct));
        Assert.Equal((422, "rejected_by_function", "email is required"), (rejected.Status, rejected.Code, rejected.Detail));
        Assert.Equal(name, rejected.Problem!["function"]!.GetValue<string>());

        var added = await orders.AddAsync(new Order("ada@example.com"), Ct);
        Assert.Equal("ada@example.com", added.Data.Email);
    }

    [Fact]
    public async Task Create_SyntaxError_IsABaasExceptionNamingTheCode()
    {
        var error = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Admin.Functions.CreateAsync(
            new FunctionDefinition { Name = FunctionSdkFixture.NewName(), Code = "let x = SYNTAX_ERROR;" }, Ct));
        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_code", error.Code);
        Assert.Equal("code", Assert.Single(error.Errors).Path);
    }

    [Fact]
    public async Task CallAsync_ReadsTheTypedResult_AndFailuresCarryTheFunctionsError()
    {
        var name = FunctionSdkFixture.NewName();
        await fixture.Client.Admin.Functions.CreateAsync(new FunctionDefinition { Name = name, Code = "x", Callable = new FunctionCallable() }, Ct);
        fixture.Runtime.Handlers[name] = (invocation, _) => FakeFunctionRuntime.Succeeded(new JsonObject { ["total"] = invocation.Args!["items"]!.AsArray().Count * 10, ["currency"] = "EUR" });
        var quote = await fixture.Client.Functions.CallAsync<Quote>(name, new { Items = new[] { "a", "b" } }, Ct);
        Assert.Equal(new Quote(20, "EUR"), quote);

        fixture.Runtime.Handlers[name] = (_, _) => FakeFunctionRuntime.Failed("TypeError: items is undefined", 4, 12);
        var failed = await Assert.ThrowsAsync<BaasFunctionException>(() => fixture.Client.Functions.CallAsync<Quote>(name, null, Ct));
        Assert.Equal("function_failed", failed.Code);
        Assert.Equal(new FunctionRunError("TypeError: items is undefined", 4, 12), failed.FunctionError);
        var run = await fixture.Client.Admin.Functions.GetRunAsync(name, failed.RunId!, Ct);
        Assert.Equal("failed", run!.Status);

        fixture.Runtime.Handlers[name] = (_, _) => FakeFunctionRuntime.Rejected(409, "Already redeemed");
        var rejected = await Assert.ThrowsAsync<BaasFunctionException>(() => fixture.Client.Functions.CallAsync<Quote>(name, null, Ct));
        Assert.Equal((409, "rejected_by_function", "Already redeemed"), (rejected.Status, rejected.Code, rejected.Detail));

        using var anonymous = new BaasClient(fixture.BaseUrl);
        var refused = await Assert.ThrowsAsync<BaasException>(() => anonymous.Functions.CallAsync<Quote>(name, null, Ct));
        Assert.Equal(401, refused.Status);
        var missing = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Functions.CallAsync<Quote>(FunctionSdkFixture.NewName(), null, Ct));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Secrets_Runs_Paging_AndRetry()
    {
        var admin = fixture.Client.Admin.Functions;
        var secret = "K" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        await admin.SetSecretAsync(secret, "super-secret-value", Ct);
        Assert.Contains(await admin.ListSecretsAsync(Ct), s => s.Name == secret);

        var name = FunctionSdkFixture.NewName();
        await admin.CreateAsync(new FunctionDefinition { Name = name, Code = "x" }, Ct);
        fixture.Runtime.Handlers[name] = (invocation, env) => invocation.Args?["fail"] is not null
            ? FakeFunctionRuntime.Failed("failed with " + env[secret])
            : FakeFunctionRuntime.Succeeded(invocation.Args?.DeepClone(), "token " + env[secret]);
        for (var i = 0; i < 3; i++)
        {
            var ok = await admin.RunAsync(name, new JsonObject { ["i"] = i }, cancellationToken: Ct);
            Assert.Equal("succeeded", ok.Status);
            Assert.Equal(["token ***"], ok.Logs);
        }

        var failed = await admin.RunAsync(name, new JsonObject { ["fail"] = true }, new JsonObject { ["type"] = "create", ["collection"] = "orders", ["documentId"] = "o1" }, Ct);
        Assert.Equal(("failed", "failed with ***", "manual"), (failed.Status, failed.Error!.Message, failed.Trigger));
        Assert.Equal("o1", failed.Event!["documentId"]!.GetValue<string>());

        var page = await admin.ListRunsAsync(name, limit: 2, cancellationToken: Ct);
        Assert.Equal(2, page.Items.Count);
        Assert.NotNull(page.NextCursor);
        var all = new List<FunctionRun>();
        await foreach (var run in admin.ListAllRunsAsync(name, cancellationToken: Ct))
        {
            all.Add(run);
        }

        Assert.Equal(4, all.Count);
        Assert.Single(all, r => r.Status == "failed");
        Assert.Equal(all.Select(r => r.Id).Distinct().Count(), all.Count);

        fixture.Runtime.Handlers[name] = (invocation, _) => FakeFunctionRuntime.Succeeded(invocation.Attempt);
        var retried = await admin.RetryAsync(name, failed.Id, Ct);
        Assert.Equal(("succeeded", 2), (retried.Status, retried.Attempt));
        Assert.Single((await admin.ListRunsAsync(name, status: "failed", cancellationToken: Ct)).Items);
        Assert.Empty((await admin.ListRunsAsync(name, deadLetter: true, cancellationToken: Ct)).Items);

        Assert.True(await admin.DeleteSecretAsync(secret, Ct));
        Assert.False(await admin.DeleteSecretAsync(secret, Ct));
    }
}
