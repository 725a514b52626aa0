using Platform.Sdk.Admin;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Docs;

// The snippets are published as user code in docs/sdk.md, where a test's token would only confuse.
#pragma warning disable xUnit1051

/// <summary>
/// The "definition versions" snippet of docs/sdk.md (checked verbatim by <see cref="SdkDocTests"/>), run against a server
/// of its own where <c>todos</c> is defined first: the snippet reads it, so it must not depend on another test's order.
/// </summary>
public sealed class SdkDefinitionVersionDocTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    [Fact]
    public async Task DefinitionVersionSnippet_RunsAgainstARealServer()
    {
        var baseUrl = fixture.BaseUrl.ToString();
        var apiKey = fixture.ServiceKey;
        await fixture.Client.Admin.Collections.CreateAsync(new CollectionDefinition { Name = "todos" });
        using var backend = new BaasClient(new BaasClientOptions { BaseUrl = new Uri(baseUrl), ApiKey = apiKey });

        // <doc:definitionversion>
        CollectionInfo? definition = await backend.Admin.Collections.GetAsync("todos");
        definition!.Rules["delete"] = "auth != null";
        try
        {
            definition = await backend.Admin.Collections.UpdateAsync(definition, definition.Version);
        }
        catch (BaasException ex) when (ex.Code == "version_mismatch")
        {
            // Another admin saved meanwhile (ex.Problem["currentVersion"]): read it again and redo the change.
        }
        // </doc:definitionversion>
        Assert.Equal("auth != null", (await backend.Admin.Collections.GetAsync("todos"))!.Rules["delete"]);
        Assert.Equal(definition.Version, (await backend.Admin.Collections.GetAsync("todos"))!.Version);
    }
}
