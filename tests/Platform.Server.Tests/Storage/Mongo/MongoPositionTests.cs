using MongoDB.Bson;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>
/// Resume tokens as ordered positions, for resuming from the stored feed on any node (issue 12). The order is MongoDB's
/// own: a token's <c>_data</c> is a KeyString in hex, cluster time first (see <see cref="MongoChangeStream.ComparePositions"/>).
/// </summary>
public class MongoPositionTests
{
    // An insert event of MongoDB 8 (a v2 token) with its clusterTime Timestamp({ t: 1741186978, i: 25 }), as a server returned it.
    private const string Event = "8267C867A2000000192B042C0100296E5A1004D3284E04D8914467A2160201812E4C4C463C6F7065726174696F6E54797065003C696E736572740046646F63756D656E744B65790046645F6964006467C867A2FB1CBCD579F4E4DE000004";

    // The post-batch resume token (a high-water mark) the same server returned one second later, with no event.
    private const string HighWaterMarkLater = "8267C867A3000000012B0429296E1404";

    // Two events of one transaction: same cluster time, txnOpIndex 0 then 1 (KeyString 29 = 0, 2B02 = 1).
    private const string TxnOp0 = "8267B4B1F8000000322B042C0100296E5A10041831DD5EEE2B4D6495A610E5430872B6463C5F6964003C61000004";
    private const string TxnOp1 = "8267B4B1F8000000322B042C01002B026E5A10041831DD5EEE2B4D6495A610E5430872B6463C5F6964003C61000004";

    // A high-water mark at the transaction's cluster time (token type 0 = 29, before an event's 128 = 2C0100).
    private const string HighWaterMarkSameTime = "8267B4B1F8000000322B0429296E1404";

    [Fact]
    public void PositionAfterSnapshot_MovesTheHighWaterMarkJustPastTheSnapshotTime()
    {
        var position = MongoChangeStream.PositionAfterSnapshot(HighWaterMarkLater, new BsonTimestamp(1741186978, 25));

        Assert.Equal("8267C867A20000001A2B0429296E1404", position);
        Assert.True(MongoChangeStream.TryReadClusterTime(position, out var clusterTime));
        Assert.Equal((1741186978u, 26u), clusterTime);
    }

    [Fact]
    public void PositionAfterSnapshot_ComesAfterEveryEventAtTheSnapshotTime_AndBeforeEveryLaterOne()
    {
        // A snapshot at the transaction's cluster time holds both of its events; the next second's mark does not.
        var position = MongoChangeStream.PositionAfterSnapshot(HighWaterMarkSameTime, new BsonTimestamp(0x67B4B1F8, 0x32));

        Assert.Equal(1, MongoChangeStream.ComparePositions(position, TxnOp0));
        Assert.Equal(1, MongoChangeStream.ComparePositions(position, TxnOp1));
        Assert.Equal(1, MongoChangeStream.ComparePositions(position, HighWaterMarkSameTime));
        Assert.Equal(-1, MongoChangeStream.ComparePositions(position, Event));
        Assert.Equal(-1, MongoChangeStream.ComparePositions(position, HighWaterMarkLater));
    }

    [Fact]
    public void PositionAfterSnapshot_AtTheLargestIncrement_MovesToTheNextSecond()
    {
        var position = MongoChangeStream.PositionAfterSnapshot(HighWaterMarkSameTime, new BsonTimestamp(0x67B4B1F8, unchecked((int)uint.MaxValue)));

        Assert.True(MongoChangeStream.TryReadClusterTime(position, out var clusterTime));
        Assert.Equal((0x67B4B1F9u, 0u), clusterTime);
        Assert.Equal(-1, MongoChangeStream.ComparePositions("8267B4B1F8FFFFFFFF2B0429296E1404", position));
    }

    [Fact]
    public void PositionAfterSnapshot_NotAToken_Throws() =>
        Assert.Throws<ArgumentException>(() => MongoChangeStream.PositionAfterSnapshot("not a token", new BsonTimestamp(1, 1)));

    [Fact]
    public void TryReadClusterTime_ReadsTheTimestampAToken_BeginsWith()
    {
        Assert.True(MongoChangeStream.TryReadClusterTime(Event, out var clusterTime));
        Assert.Equal((1741186978u, 25u), clusterTime);
        Assert.True(MongoChangeStream.TryReadClusterTime(HighWaterMarkLater, out var later));
        Assert.Equal((1741186979u, 1u), later);
    }

    [Fact]
    public void ComparePositions_OrdersByClusterTime_EventsAndHighWaterMarksAlike()
    {
        Assert.Equal(-1, MongoChangeStream.ComparePositions(Event, HighWaterMarkLater));
        Assert.Equal(1, MongoChangeStream.ComparePositions(HighWaterMarkLater, Event));
        Assert.Equal(-1, MongoChangeStream.ComparePositions(TxnOp1, Event));
    }

    [Fact]
    public void ComparePositions_WithinOneClusterTime_OrdersByThePlaceInTheTransaction()
    {
        Assert.Equal(-1, MongoChangeStream.ComparePositions(TxnOp0, TxnOp1));
        Assert.Equal(1, MongoChangeStream.ComparePositions(TxnOp1, TxnOp0));
    }

    [Fact]
    public void ComparePositions_AHighWaterMark_ComesBeforeEveryEventOfItsClusterTime()
    {
        Assert.Equal(-1, MongoChangeStream.ComparePositions(HighWaterMarkSameTime, TxnOp0));
        Assert.Equal(-1, MongoChangeStream.ComparePositions(HighWaterMarkSameTime, TxnOp1));
    }

    [Fact]
    public void ComparePositions_FragmentsOfASplitEvent_FollowTheEvent_InFragmentOrder()
    {
        // $changeStreamSplitLargeEvent appends the fragment number before the end byte (04) of the event's token.
        var body = TxnOp0[..^2];
        var fragment0 = body + "29" + "04";
        var fragment1 = body + "2B02" + "04";

        Assert.Equal(-1, MongoChangeStream.ComparePositions(TxnOp0, fragment0));
        Assert.Equal(-1, MongoChangeStream.ComparePositions(fragment0, fragment1));
        Assert.Equal(-1, MongoChangeStream.ComparePositions(fragment1, TxnOp1));
    }

    [Fact]
    public void ComparePositions_IgnoresCase_AndIsZeroForTheSameToken() =>
        Assert.Equal(0, MongoChangeStream.ComparePositions(Event, Event.ToLowerInvariant()));

    [Theory]
    [InlineData("")]
    [InlineData("xyz")]
    [InlineData("ABC")]
    [InlineData("8267C867A2")] // too short to hold a cluster time
    [InlineData("0A67C867A2000000192B04")] // hex, but not beginning with a Timestamp: no order is known
    public void ComparePositions_IsNull_ForWhatIsNotAnOrderedToken(string other)
    {
        Assert.Null(MongoChangeStream.ComparePositions(Event, other));
        Assert.Null(MongoChangeStream.ComparePositions(other, Event));
    }
}
