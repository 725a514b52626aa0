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
        var plan = MongoIndexTranslator.Plan(["_id_", "ix_ownerId_-_createdAt", "ux_old", "ix_gone", "operator_made_1"], [Owner, Email]);

        Assert.Equal(["ix_gone", "ux_old"], plan.Drop);
        var create = Assert.Single(plan.Create);
        Assert.Equal((1, Email), create);
    }

    [Fact]
    public void Plan_ListsADuplicateDefinitionOnce()
    {
        var plan = MongoIndexTranslator.Plan(["_id_"], [Email, Owner, Email]);

        Assert.Equal([(0, Email), (1, Owner)], plan.Create);
        Assert.Empty(plan.Drop);
    }

    [Fact]
    public void Plan_WithNothingWanted_DropsAllOfOursAndNothingElse()
    {
        var plan = MongoIndexTranslator.Plan(["_id_", "ix_a", "ux_b", "custom"], []);

        Assert.Equal(["ix_a", "ux_b"], plan.Drop);
        Assert.Empty(plan.Create);
    }

    [Fact]
    public void Plan_WhenEverythingExists_DoesNothing()
    {
        var plan = MongoIndexTranslator.Plan(["_id_", Owner.Name, Email.Name], [Owner, Email]);

        Assert.Empty(plan.Drop);
        Assert.Empty(plan.Create);
    }

    private static BsonDocument Render(IndexKeysDefinition<BsonDocument> keys) =>
        keys.Render(new RenderArgs<BsonDocument>(BsonSerializer.LookupSerializer<BsonDocument>(), BsonSerializer.SerializerRegistry));

    private static BsonDocument Render(FilterDefinition<BsonDocument> filter) =>
        filter.Render(new RenderArgs<BsonDocument>(BsonSerializer.LookupSerializer<BsonDocument>(), BsonSerializer.SerializerRegistry));
}
