using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Functions;
using Platform.Server.Functions.Runtime;

namespace Platform.Server.Tests.Functions.Runtime;

/// <summary>
/// <c>ctx.fetch</c>: allowlist, SSRF guard, redirects, size and time limits. The only address any test
/// connects to is the fixture's loopback server at 127.0.0.1, which the allowlists name literally; every
/// other address is refused before a connection is attempted (names resolve through a fake resolver).
/// </summary>
public sealed class FunctionFetchTests(FunctionRuntimeFixture fixture) : IClassFixture<FunctionRuntimeFixture>
{
    private Task<FunctionRunResult> FetchAsync(string url, string options = "{}", IReadOnlyList<string>? allowlist = null) =>
        fixture.RunAsync(
            $$"""
            export default async function (ctx) {
              try {
                const res = await ctx.fetch({{JsonValue.Create(url).ToJsonString()}}, {{options}});
                const type = res.headers['content-type'] || '';
                return { status: res.status, ok: res.ok, body: type.startsWith('application/json') ? await res.json() : await res.text() };
              } catch (e) {
                return { error: e.code, message: e.message, isError: e instanceof Error };
              }
            }
            """,
            allowlist: allowlist ?? [fixture.TargetHost]);

    [Fact]
    public async Task Fetch_ReachesAnAllowlistedHost_AndAnswersStatusHeadersAndBody()
    {
        var result = await FetchAsync(fixture.TargetUrl + "/ok");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal("""{"status":200,"ok":true,"body":{"hello":"world"}}""", result.Result!.ToJsonString());
    }

    [Fact]
    public async Task Fetch_SendsMethodHeadersAndAJsonBody()
    {
        var result = await FetchAsync(fixture.TargetUrl + "/echo", "{ method: 'POST', headers: { 'x-token': 't1' }, body: { a: 1 } }");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var body = result.Result!["body"]!;
        Assert.Equal("POST", body["method"]!.GetValue<string>());
        Assert.Equal("t1", body["token"]!.GetValue<string>());
        Assert.Equal("""{"a":1}""", body["body"]!.GetValue<string>());
        Assert.StartsWith("application/json", body["contentType"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://api.example.test/x", "not on this function's fetchAllowlist")]
    [InlineData("ftp://127.0.0.1/x", "Only http and https")]
    [InlineData("not a url", "not an absolute URL")]
    public async Task Fetch_RefusesHostsNotOnTheAllowlistAndOtherSchemes(string url, string expected)
    {
        var result = await FetchAsync(url);

        Assert.Equal("fetch_refused", result.Result!["error"]!.GetValue<string>());
        Assert.Contains(expected, result.Result["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(result.Result["isError"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Fetch_TheAllowlistPortMustMatchWhenGiven()
    {
        var other = new Uri(fixture.TargetUrl).Port + 1;

        var result = await FetchAsync($"http://127.0.0.1:{other}/ok");

        Assert.Equal("fetch_refused", result.Result!["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("loopback.test", "127.0.0.1", "loopback")]
    [InlineData("private10.test", "10.1.2.3", "private")]
    [InlineData("private172.test", "172.16.5.4", "private")]
    [InlineData("private192.test", "192.168.1.1", "private")]
    [InlineData("metadata.test", "169.254.169.254", "link-local")]
    [InlineData("cgnat.test", "100.64.0.1", "CGNAT")]
    [InlineData("zero.test", "0.0.0.0", "unspecified")]
    [InlineData("multicast.test", "224.0.0.1", "multicast")]
    [InlineData("v6loop.test", "::1", "loopback")]
    [InlineData("v6ula.test", "fd00::1", "private")]
    [InlineData("v6link.test", "fe80::1", "link-local")]
    [InlineData("mapped.test", "::ffff:10.0.0.1", "private")]
    [InlineData("mapped-meta.test", "::ffff:169.254.169.254", "link-local")]
    public async Task Fetch_AnAllowlistedNameThatResolvesToAnInternalAddressIsRefused(string host, string address, string kind)
    {
        fixture.Resolver.Map(host, IPAddress.Parse(address));

        var result = await FetchAsync($"http://{host}/x", allowlist: [host]);

        Assert.Equal("fetch_refused", result.Result!["error"]!.GetValue<string>());
        Assert.Contains(kind, result.Result["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_ANameWithOneInternalAnswerAmongPublicOnesIsRefused()
    {
        fixture.Resolver.Map("mixed.test", IPAddress.Parse("93.184.216.34"), IPAddress.Parse("10.0.0.7"));

        var result = await FetchAsync("http://mixed.test/x", allowlist: ["mixed.test"]);

        Assert.Equal("fetch_refused", result.Result!["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data", "169.254.169.254:1")]
    [InlineData("http://2852039166/latest/meta-data", "example.test")]
    [InlineData("http://[::ffff:127.0.0.1]/", "127.0.0.1")]
    [InlineData("http://10.0.0.1/", "10.0.0.2")]
    public async Task Fetch_AnInternalIpLiteralIsRefusedUnlessTheAllowlistNamesItAndItsPort(string url, string allowed)
    {
        var result = await FetchAsync(url, allowlist: [allowed]);

        Assert.Equal("fetch_refused", result.Result!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Fetch_LocalhostIsReachableOnlyWhenListedLiterally()
    {
        fixture.Resolver.Map("localhost", IPAddress.Loopback);
        var port = new Uri(fixture.TargetUrl).Port;

        var listed = await FetchAsync($"http://localhost:{port}/ok", allowlist: [$"localhost:{port}"]);

        Assert.Equal(200L, listed.Result!["status"]!.GetValue<long>());
    }

    [Fact]
    public async Task Fetch_FollowsRedirectsToAllowedHosts_AtMostFive()
    {
        var followed = await FetchAsync(fixture.TargetUrl + "/redirect/4");
        var tooMany = await FetchAsync(fixture.TargetUrl + "/redirect/5");

        Assert.Equal(200L, followed.Result!["status"]!.GetValue<long>());
        Assert.Equal("fetch_too_many_redirects", tooMany.Result!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Fetch_ARedirectToAHostNotOnTheAllowlistOrToAnInternalAddressIsRefused()
    {
        fixture.Resolver.Map("internal-redirect.test", IPAddress.Parse("10.9.9.9"));
        var toOther = Uri.EscapeDataString("http://elsewhere.test/x");
        var toInternal = Uri.EscapeDataString("http://169.254.169.254/latest/meta-data");

        var other = await FetchAsync($"{fixture.TargetUrl}/redirect-to?url={toOther}");
        var metadata = await FetchAsync($"{fixture.TargetUrl}/redirect-to?url={toInternal}", allowlist: [fixture.TargetHost, "169.254.169.254:1"]);

        Assert.Equal("fetch_refused", other.Result!["error"]!.GetValue<string>());
        Assert.Equal("fetch_refused", metadata.Result!["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/big")]
    [InlineData("/big-chunked")]
    public async Task Fetch_AnAnswerLargerThanTheCapFails(string path)
    {
        var result = await FetchAsync(fixture.TargetUrl + path);

        Assert.Equal("fetch_too_large", result.Result!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Fetch_TimesOutAtTimeoutMs()
    {
        var result = await FetchAsync(fixture.TargetUrl + "/slow", "{ timeoutMs: 200 }");

        Assert.Equal("fetch_timeout", result.Result!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Fetch_IsCutShortByTheRunsBudget()
    {
        var result = await fixture.RunAsync(
            $"export default async function (ctx) {{ await ctx.fetch('{fixture.TargetUrl}/slow'); }}",
            FunctionRuntimeFixture.Invocation() with { Timeout = TimeSpan.FromMilliseconds(300) },
            allowlist: [fixture.TargetHost]);

        Assert.True(result.Status is RunStatus.TimedOut or RunStatus.Failed, result.Status.ToString());
        Assert.True(result.Duration < TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("8.8.8.8", null)]
    [InlineData("93.184.216.34", null)]
    [InlineData("2606:4700::1111", null)]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("172.32.0.1", null)]
    [InlineData("192.168.0.1", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("100.64.0.1", "shared (CGNAT)")]
    [InlineData("100.128.0.1", null)]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("fc00::1", "private")]
    [InlineData("fdff::1", "private")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:192.168.1.1", "private")]
    [InlineData("::ffff:8.8.8.8", null)]
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")]
    [InlineData("64:ff9b::a00:1", "private")]
    [InlineData("64:ff9b::808:808", null)]
    [InlineData("64:ff9b:1::a00:1", "private")]
    [InlineData("2002:7f00:1::1", "loopback")]
    [InlineData("2002:a9fe:a9fe::1", "link-local")]
    [InlineData("2002:808:808::1", null)]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved")]
    [InlineData("2001:4860:4860::8888", null)]
    [InlineData("100::1", "reserved")]
    [InlineData("198.18.0.1", "reserved")]
    [InlineData("198.20.0.1", null)]
    [InlineData("192.0.0.8", "reserved")]
    public void Guard_ClassifiesAddresses(string address, string? expected) =>
        Assert.Equal(expected, FetchAddressGuard.BlockedClass(IPAddress.Parse(address)));

    [Theory]
    [InlineData("api.example.com", "api.example.com", null)]
    [InlineData("api.example.com:8443", "api.example.com", 8443)]
    [InlineData("127.0.0.1:5000", "127.0.0.1", 5000)]
    [InlineData("[::1]:8080", "::1", 8080)]
    [InlineData("[::1]", "::1", null)]
    [InlineData("::1", "::1", null)]
    public void Guard_ParsesAllowlistEntries(string entry, string host, int? port) =>
        Assert.Equal((host, port), FetchAddressGuard.ParseAllowlistEntry(entry));
}
