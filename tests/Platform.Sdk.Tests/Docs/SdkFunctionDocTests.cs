using System.Text.Json.Nodes;
using Platform.Sdk.Admin;
using Platform.Sdk.Functions;
using Platform.Sdk.Tests.Functions;
using Platform.Server.Tests.Functions;

namespace Platform.Sdk.Tests.Docs;

// The snippets are published as user code in docs/sdk.md, where a test's token would only confuse.
#pragma warning disable xUnit1051

/// <summary>The functions snippets of docs/sdk.md (checked verbatim by <see cref="SdkDocTests"/>), run against a real server.</summary>
public sealed class SdkFunctionDocTests(FunctionSdkFixture fixture) : IClassFixture<FunctionSdkFixture>
{
    // <doc:coupon>
    public sealed record CouponResult(bool Valid, int Discount);
    // </doc:coupon>

    [Fact]
    public async Task FunctionSnippets_RunAgainstARealServer()
    {
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl, ApiKey = fixture.ServiceKey });

        // The runtime in this test is a stand-in that answers as the published JavaScript would.
        fixture.Runtime.Handlers["check-coupon"] = (invocation, _) =>
            FakeFunctionRuntime.Succeeded(new JsonObject { ["valid"] = invocation.Args!["code"]!.GetValue<string>() == "SUMMER", ["discount"] = 10 });

        // <doc:functionsadmin>
        FunctionsAdminClient functions = client.Admin.Functions;   // a service key or a signed-in admin

        await functions.SetSecretAsync("COUPON_SALT", "s3cret-salt");   // ctx.env.COUPON_SALT, stored encrypted

        FunctionInfo saved = await functions.CreateAsync(new FunctionDefinition
        {
            Name = "check-coupon",
            Code = """
                export default async function (ctx) {
                  const coupon = await ctx.db.collection('coupons').get(ctx.args.code);
                  return { valid: coupon != null, discount: coupon?.discount ?? 0 };
                }
                """,
            Callable = new FunctionCallable("auth != null"),   // signed-in users may call it
            TimeoutSeconds = 5,
        });
        // saved.Version is 1; every later UpdateAsync makes a new version, RollbackAsync goes back

        FunctionRun run = await functions.RunAsync("check-coupon", new JsonObject { ["code"] = "SUMMER" });
        // run.Status, run.Result, run.Logs, run.Error?.Line: a test run without a client

        await foreach (FunctionRun failed in functions.ListAllRunsAsync("check-coupon", status: "failed"))
        {
            Console.WriteLine($"{failed.StartedAt}: {failed.Error?.Message} (line {failed.Error?.Line})");
        }
        // </doc:functionsadmin>
        Assert.Equal(1, saved.Version);
        Assert.Equal("succeeded", run.Status);

        // <doc:functionscall>
        try
        {
            CouponResult? coupon = await client.Functions.CallAsync<CouponResult>("check-coupon", new { Code = "SUMMER" });
            Console.WriteLine(coupon!.Valid ? $"{coupon.Discount}% off" : "not a coupon");
        }
        catch (BaasFunctionException e)   // the function threw, timed out or called ctx.reject
        {
            Console.WriteLine($"{e.Code}: {e.Detail} (run {e.RunId}, line {e.FunctionError?.Line})");
        }
        // </doc:functionscall>

        var answer = await client.Functions.CallAsync<CouponResult>("check-coupon", new { Code = "SUMMER" });
        Assert.Equal(new CouponResult(true, 10), answer);
        Assert.True(await functions.DeleteSecretAsync("COUPON_SALT"));
    }
}
