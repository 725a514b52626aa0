using Platform.Sdk.Tests.Documents;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Http;

/// <summary><c>BaasClientOptions.BaseUrl</c> as the contract writes it: a string or a <see cref="Uri"/>.</summary>
public sealed class BaseUrlTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BaseUrl_GivenAsAString_ReachesTheServer()
    {
        var collection = await fixture.NewCollectionAsync();
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl.ToString().TrimEnd('/'), ApiKey = fixture.ServiceKey });

        var added = await client.Collection<Todo>(collection).AddAsync(new Todo { Title = "by string" }, Ct);

        Assert.Equal("by string", (await client.Collection<Todo>(collection).GetAsync(added.Id, Ct))!.Data.Title);
        Assert.Equal(fixture.BaseUrl, client.BaseUrl);
    }

    [Fact]
    public async Task BaseUrl_GivenAsAUri_OrToTheConstructor_ReachesTheServer()
    {
        using var byUri = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl, ApiKey = fixture.ServiceKey });
        using var byString = new BaasClient(fixture.BaseUrl.ToString(), fixture.ServiceKey);

        Assert.Equal(await byUri.GetHealthAsync(Ct), await byString.GetHealthAsync(Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/relative")]
    public void BaseUrl_ThatIsNotAnAbsoluteUrl_IsRefused(string url) =>
        Assert.Throws<ArgumentException>(() => new BaasClient(new BaasClientOptions { BaseUrl = url }));

    [Fact]
    public void BaseUrl_Missing_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new BaasClient(new BaasClientOptions()));
}
