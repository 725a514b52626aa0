using Platform.Server.Documents;

namespace Platform.Server.Tests.Documents;

/// <summary>
/// An update without If-Match that lost a race waits a random time before it reads again; the waits' bound doubles with
/// each attempt so contenders spread out even when commits are slow (see <c>DocumentService.RetryJitterCeilingMs</c>).
/// </summary>
public sealed class DocumentServiceRetryTests
{
    [Fact]
    public void RetryJitterCeiling_DoublesFrom4Ms_UpTo128Ms()
    {
        Assert.Equal([4, 8, 16, 32, 64, 128, 128, 128], Enumerable.Range(1, 8).Select(DocumentService.RetryJitterCeilingMs));

        // Fifteen retries may wait up to about 1.4 s in all: enough rounds for dozens of contenders on a loaded machine.
        Assert.InRange(Enumerable.Range(1, 15).Sum(DocumentService.RetryJitterCeilingMs), 1000, 2000);
    }
}
