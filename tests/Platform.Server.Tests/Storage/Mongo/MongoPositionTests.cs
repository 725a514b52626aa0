using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>Resume tokens as ordered positions, for resuming from the stored feed on any node.</summary>
public class MongoPositionTests
{
    private const string Earlier = "8267B4B1F8000000322B042C0100296E5A10041831DD5EEE2B4D6495A610E5430872B6463C5F6964003C61000004";
    private const string Later = "8267B4B1F9000000012B042C0100296E5A10041831DD5EEE2B4D6495A610E5430872B6463C5F6964003C62000004";

    [Fact]
    public void ComparePositions_OrdersTokensByTheirBytes()
    {
        Assert.Equal(-1, MongoChangeStream.ComparePositions(Earlier, Later));
        Assert.Equal(1, MongoChangeStream.ComparePositions(Later, Earlier));
        Assert.Equal(0, MongoChangeStream.ComparePositions(Earlier, Earlier.ToLowerInvariant()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("xyz")]
    [InlineData("ABC")]
    public void ComparePositions_IsNull_ForWhatIsNotAToken(string other) =>
        Assert.Null(MongoChangeStream.ComparePositions(Earlier, other));
}
