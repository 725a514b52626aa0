using Microsoft.AspNetCore.SignalR;
using Platform.Sdk.Realtime;

namespace Platform.Sdk.Tests.Realtime;

/// <summary>How a hub refusal of <c>Subscribe</c> becomes the watch's <see cref="BaasException"/>, or a retry.</summary>
public sealed class RefusalTests
{
    private static HubException Refused(string text) =>
        new("An unexpected error occurred invoking 'Subscribe' on the server. HubException: " + text);

    [Theory]
    [InlineData("storage_unavailable: The data store is not reachable right now. Try again shortly.")]
    [InlineData("server_busy: Every query place stayed taken; retry shortly.")]
    [InlineData("unavailable: The connection is closing.")]
    [InlineData("too_many_connections: This server is at its connection limit; try again later.")]
    public void Refusal_OfAMomentaryCondition_IsRetried_NotTheEndOfTheWatch(string text) =>
        Assert.Null(RealtimeSession.Refusal(Refused(text)));

    [Theory]
    [InlineData("session_ended: The session of this connection's access token has ended; sign in again.", 401)]
    [InlineData("query_timeout: The snapshot query ran past its time budget of 5000 ms and was stopped.", 422)]
    [InlineData("snapshot_too_large: More than 10000 documents match.", 422)]
    [InlineData("forbidden: The list rule refuses this caller.", 403)]
    [InlineData("collection_not_found: Collection 'x' is not defined.", 404)]
    [InlineData("too_many_subscriptions: A connection may hold at most 100 subscriptions.", 429)]
    [InlineData("unknown_field: Unknown member 'resumeafter'. (at resumeafter)", 400)]
    public void Refusal_HasTheStatusRestGivesTheSameCode(string text, int status)
    {
        var error = RealtimeSession.Refusal(Refused(text));
        Assert.NotNull(error);
        Assert.Equal(status, error.Status);
        Assert.Equal(text[..text.IndexOf(':', StringComparison.Ordinal)], error.Code);
    }

    [Fact]
    public void Refusal_NamingAPath_CarriesItAsTheField()
    {
        var error = RealtimeSession.Refusal(Refused("filter_too_complex: '$in' has 1001 values; at most 1000 are allowed. (at filter.n.$in)"));
        Assert.Equal("filter.n.$in", error!.Field);
        Assert.Null(RealtimeSession.Refusal(Refused("invalid_filter: no path here"))!.Field);
    }
}
