using Platform.Server.Common;

namespace Platform.Server.Tests.Common;

public sealed class QueryStringRedactionTests
{
    [Theory]
    [InlineData("?access_token=eyJ.a.b", "?access_token=Redacted")]
    [InlineData("GET /realtime?id=1&access_token=eyJ.a.b HTTP/1.1", "GET /realtime?id=1&access_token=Redacted HTTP/1.1")]
    [InlineData("http://h/p?apikey=bk_123&limit=5#top", "http://h/p?apikey=Redacted&limit=5#top")]
    [InlineData("?ACCESS%5Ftoken=eyJ&Api%4Bey=x", "?ACCESS%5Ftoken=Redacted&Api%4Bey=Redacted")]
    [InlineData("?password=p+w&token=t&key=k&secret=s", "?password=Redacted&token=Redacted&key=Redacted&secret=Redacted")]
    [InlineData("'/x?access_token=abc' and \"/y?apikey=def\"", "'/x?access_token=Redacted' and \"/y?apikey=Redacted\"")]
    public void Redact_ReplacesCredentialValues_AndKeepsTheRest(string text, string expected)
    {
        Assert.True(QueryStringRedaction.HoldsCredential(text));
        Assert.Equal(expected, QueryStringRedaction.Redact(text));
    }

    [Theory]
    [InlineData("?limit=5&sort=-a&fields=a,b&cursor=abc&count=true")]
    [InlineData("?filter={\"token\":1}&tokenLifetime=5")]
    [InlineData("?access_token=&apikey=")]
    [InlineData("no query string here: token=abc")]
    [InlineData("")]
    public void Redact_LeavesTextWithoutCredentialValues_AsTheSameInstance(string text)
    {
        Assert.False(QueryStringRedaction.HoldsCredential(text));
        Assert.Same(text, QueryStringRedaction.Redact(text));
    }
}
