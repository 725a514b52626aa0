using Platform.Sdk.Tests.Infrastructure;
using TodoApp;

namespace Platform.Sdk.Tests.Samples;

/// <summary>Runs the TodoApp sample's commands in-process against a real server and checks what it prints.</summary>
public sealed class TodoAppTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        var collection = "todos-" + _suffix;
        var exit = await TodoCli.RunAsync(["--url", fixture.BaseUrl.ToString(), "--key", fixture.ServiceKey, "--collection", collection, .. args], output, TestContext.Current.CancellationToken);
        return (exit, output.ToString());
    }

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task TodoApp_AddsListsCompletesCountsAndDeletes()
    {
        var (exit, added) = await RunAsync("add", "Write docs", "3");
        Assert.Equal(0, exit);
        var match = System.Text.RegularExpressions.Regex.Match(added, "^added ([0-9a-f]{24}): Write docs \\(priority 3\\)\\n$");
        Assert.True(match.Success, added);
        var docsId = match.Groups[1].Value;
        var milkId = IdOf((await RunAsync("add", "Buy milk", "1")).Output);
        var testsId = IdOf((await RunAsync("add", "Write tests", "5")).Output);

        Assert.Equal($"{testsId}  [5] Write tests\n{docsId}  [3] Write docs\n{milkId}  [1] Buy milk\n", (await RunAsync("list")).Output);

        Assert.Equal((0, $"completed {testsId}: Write tests\n"), await RunAsync("complete", testsId));
        Assert.Equal($"{docsId}  [3] Write docs\n{milkId}  [1] Buy milk\n", (await RunAsync("list")).Output);
        Assert.Equal((0, "open: 2, done: 1\n"), await RunAsync("count"));

        Assert.Equal((0, $"deleted {milkId}\n"), await RunAsync("delete", milkId));
        Assert.Equal((1, $"no todo {milkId}\n"), await RunAsync("delete", milkId));
        Assert.Equal((1, "no todo nope\n"), await RunAsync("complete", "nope"));
        Assert.Equal((0, "open: 1, done: 1\n"), await RunAsync("count"));
    }

    [Fact]
    public async Task TodoApp_ReportsSchemaErrors_AndUsage()
    {
        var (exit, output) = await RunAsync("add", "Too important", "9");
        Assert.Equal(1, exit);
        Assert.StartsWith("error: 422 ", output, StringComparison.Ordinal);
        Assert.Contains("priority", output, StringComparison.Ordinal);

        Assert.Equal((0, "no open todos\n"), await RunAsync("list"));

        var (usageExit, usage) = await RunAsync("frobnicate");
        Assert.Equal(2, usageExit);
        Assert.StartsWith("usage: TodoApp", usage, StringComparison.Ordinal);
    }

    private static string IdOf(string output) => output.Split(' ', ':')[1];
}
