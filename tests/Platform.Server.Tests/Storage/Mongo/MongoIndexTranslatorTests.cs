using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;
using Platform.Server.Storage;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

public class MongoIndexTranslatorTests
{
    private static readonly IndexDefinition Owner = new([new("ownerId"), new("_createdAt", Descending: true)]);
    private static readonly IndexDefinition Email = new([new("email")], Unique: true);

    [Fact]
    public void Keys_MapDirections_InOrder() =>
        Bson.Equal("{ownerId: 1, _createdAt: -1}", MongoIndexTranslator.Keys(Owner));

    [Fact]
    public void Keys_Throw_WithoutFields() =>
        Assert.Throws<ArgumentException>(() => MongoIndexTranslator.Keys(new IndexDefinition([])));

    [Fact]
    public void ToModel_PlainIndex_IsFullAndNamedByTheDefinition()
    {
        var model = MongoIndexTranslator.ToModel(Owner);

        Assert.Equal("ix_ownerId_-_createdAt", model.Options.Name);
        Assert.NotEqual(true, model.Options.Unique);
        Assert.Null(model.Options.PartialFilterExpression);
        Bson.Equal("{ownerId: 1, _createdAt: -1}", Render(model.Keys));
    }

    [Fact]
    public void ToModel_UniqueIndex_ConstrainsOnlyDocumentsWithTheField()
    {
        var model = MongoIndexTranslator.ToModel(Email);

        Assert.Equal("ux_email", model.Options.Name);
        Assert.True(model.Options.Unique);
        Bson.Equal("{email: {$exists: true}}", Render(model.Options.PartialFilterExpression!));
    }

    [Fact]
    public void PartialFilter_OfACompoundUniqueIndex_RequiresEveryField() =>
        Bson.Equal(
            "{tenant: {$exists: true}, 'profile.handle': {$exists: true}}",
            MongoIndexTranslator.PartialFilter(new IndexDefinition([new("tenant"), new("profile.handle", Descending: true)], Unique: true))!);

    [Fact]
    public void PartialFilter_OfAPlainIndex_IsNull() =>
        Assert.Null(MongoIndexTranslator.PartialFilter(Owner));

    [Theory]
    [InlineData("ix_a", true)]
    [InlineData("ux_a_-b", true)]
    [InlineData("_id_", false)]
    [InlineData("email_1", false)]
    [InlineData("IX_a", false)]
    public void IsManaged_OnlyOurPrefixes(string name, bool expected) =>
        Assert.Equal(expected, MongoIndexTranslator.IsManaged(name));

    [Fact]
    public void Plan_CreatesMissing_AndDropsOnlyOurStaleIndexes()
    {
        var plan = MongoIndexTranslator.Plan(
            [IdIndex, Existing(Owner), Plain("ux_old", "{old: 1}", unique: true), Plain("ix_gone", "{gone: 1}"), Plain("operator_made_1", "{x: 1}")],
            [Owner, Email]);

        Assert.Equal(["ix_gone", "ux_old"], plan.Drop);
        Assert.Empty(plan.DropFirst);
        var create = Assert.Single(plan.Create);
        Assert.Equal((1, Email), create);
    }

    [Fact]
    public void Plan_ListsADuplicateDefinitionOnce()
    {
        var plan = MongoIndexTranslator.Plan([IdIndex], [Email, Owner, Email]);

        Assert.Equal([(0, Email), (1, Owner)], plan.Create);
        Assert.Empty(plan.Drop);
    }

    [Fact]
    public void Plan_WithNothingWanted_DropsAllOfOursAndNothingElse()
    {
        var plan = MongoIndexTranslator.Plan([IdIndex, Plain("ix_a", "{a: 1}"), Plain("ux_b", "{b: 1}", unique: true), Plain("custom", "{c: 1}")], []);

        Assert.Equal(["ix_a", "ux_b"], plan.Drop);
        Assert.Empty(plan.Create);
    }

    [Fact]
    public void Plan_WhenEverythingExists_DoesNothing()
    {
        var plan = MongoIndexTranslator.Plan([IdIndex, Existing(Owner), Existing(Email)], [Owner, Email]);

        Assert.Empty(plan.Drop);
        Assert.Empty(plan.Create);
    }

    [Fact]
    public void Plan_RecognisesAnIndexUnderItsOldAmbiguousName_AndNeitherRebuildsNorDropsIt()
    {
        // Before names were unambiguous, ["created_at"] was named ix_created_at; now it is ix_created%5Fat.
        var createdAt = new IndexDefinition([new("created_at")]);
        var uniqueHandle = new IndexDefinition([new("user_handle")], Unique: true);
        var existing = new[]
        {
            IdIndex,
            Plain("ix_created_at", "{created_at: 1}"),
            new MongoExistingIndex("ux_user_handle", BsonDocument.Parse("{user_handle: 1.0}"), Unique: true, BsonDocument.Parse("{user_handle: {$exists: 1}}")),
        };

        var plan = MongoIndexTranslator.Plan(existing, [createdAt, uniqueHandle]);

        Assert.Equal("ix_created%5Fat", createdAt.Name);
        Assert.Empty(plan.Create);
        Assert.Empty(plan.Drop);

        // Applying the same list again changes nothing either: no rebuild loop.
        Assert.Empty(MongoIndexTranslator.Plan(existing, [createdAt, uniqueHandle]).Create);
    }

    [Fact]
    public void Plan_DropsAStaleIndexHoldingAWantedName_BeforeBuilding()
    {
        // The old ix_a_b was ["a_b"]; now ["a","b"] is wanted, whose name is ix_a_b too.
        var ab = new IndexDefinition([new("a"), new("b")]);
        var plan = MongoIndexTranslator.Plan([IdIndex, Plain("ix_a_b", "{a_b: 1}")], [ab]);

        Assert.Equal([(0, ab)], plan.Create);
        Assert.Equal(["ix_a_b"], plan.Drop);
        Assert.Equal(["ix_a_b"], plan.DropFirst);
    }

    [Fact]
    public void Plan_DoesNotAdoptAnIndexWithOtherOptions()
    {
        var unique = new IndexDefinition([new("a")], Unique: true);

        var plan = MongoIndexTranslator.Plan([IdIndex, Plain("ix_a", "{a: 1}")], [unique]);

        Assert.Equal([(0, unique)], plan.Create);
        Assert.Equal(["ix_a"], plan.Drop);
    }

    [Theory]
    [InlineData("{a: 1, b: -1}", "{a: 1.0, b: -1}", true)]
    [InlineData("{a: 1, b: -1}", "{b: -1, a: 1}", false)]
    [InlineData("{a: 1}", "{a: -1}", false)]
    [InlineData("{a: 1}", "{a: 'text'}", false)]
    [InlineData("{a: 1}", "{a: 1, b: 1}", false)]
    public void SameKeys_ComparesNamesOrderAndDirections(string left, string right, bool expected) =>
        Assert.Equal(expected, MongoIndexTranslator.SameKeys(BsonDocument.Parse(left), BsonDocument.Parse(right)));

    [Fact]
    public void Describe_ReadsNameKeysUniquenessAndPartialFilter()
    {
        var index = MongoIndexTranslator.Describe(BsonDocument.Parse("{v: 2, key: {e: 1}, name: 'ux_e', unique: true, partialFilterExpression: {e: {$exists: true}}}"));

        Assert.Equal("ux_e", index.Name);
        Assert.True(index.Unique);
        Assert.True(MongoIndexTranslator.Matches(index, new IndexDefinition([new("e")], Unique: true)));
        Assert.False(MongoIndexTranslator.Describe(BsonDocument.Parse("{v: 2, key: {_id: 1}, name: '_id_'}")).Unique);
    }

    private static readonly MongoExistingIndex IdIndex = new("_id_", new BsonDocument("_id", 1));

    private static MongoExistingIndex Existing(IndexDefinition index) =>
        new(index.Name, MongoIndexTranslator.Keys(index), index.Unique, MongoIndexTranslator.PartialFilter(index));

    private static MongoExistingIndex Plain(string name, string keys, bool unique = false) =>
        new(name, BsonDocument.Parse(keys), unique, unique ? new BsonDocument(BsonDocument.Parse(keys).Names.Select(n => new BsonElement(n, new BsonDocument("$exists", true)))) : null);

    private static BsonDocument Render(IndexKeysDefinition<BsonDocument> keys) =>
        keys.Render(new RenderArgs<BsonDocument>(BsonSerializer.LookupSerializer<BsonDocument>(), BsonSerializer.SerializerRegistry));

    private static BsonDocument Render(FilterDefinition<BsonDocument> filter) =>
        filter.Render(new RenderArgs<BsonDocument>(BsonSerializer.LookupSerializer<BsonDocument>(), BsonSerializer.SerializerRegistry));
}
