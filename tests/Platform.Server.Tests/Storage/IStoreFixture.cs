using Platform.Server.Storage;

namespace Platform.Server.Tests.Storage;

/// <summary>
/// What a provider's conformance run needs: one initialized store shared by the test class, unique
/// collection names so tests can run in parallel, and a reason to skip when the provider is not available.
/// </summary>
public interface IStoreFixture
{
    /// <summary>Null when the provider is available; otherwise why every test is skipped (e.g. no <c>BAAS_TEST_MONGO</c>).</summary>
    string? SkipReason { get; }

    /// <summary>Known, documented differences from MongoDB that some tests depend on.</summary>
    StoreCapabilities Capabilities { get; }

    /// <summary>The initialized store (only valid when <see cref="SkipReason"/> is null).</summary>
    IDocumentStore Store { get; }

    /// <summary>A collection name no other test uses.</summary>
    string NewCollectionName();
}

/// <summary>
/// Capability flags: the documented differences between the providers (docs/storage.md, "Known differences"), each
/// true where the provider behaves as MongoDB does. Every row of that table is pinned by a conformance test that
/// expects one answer or the other by its flag.
/// </summary>
/// <param name="SortsArraysByElement">Sorting by an array-valued field uses the smallest (ascending) or largest
/// (descending) element, and a sort path through an array sorts by the elements it reaches, as MongoDB does.
/// Otherwise arrays sort as one value in the array bracket, and a path through an array sorts as missing.</param>
/// <param name="SortsObjectsFieldByField">Objects sort among themselves field by field (MongoDB); otherwise by their
/// minified JSON text.</param>
/// <param name="FoldsCaseByUnicode"><c>$containsi</c> folds case as MongoDB's regular expressions do (the Kelvin sign
/// matches <c>k</c>); otherwise .NET's ordinal ignore-case.</param>
/// <param name="UniqueIndexKeysEachElement">A unique index over an array field keys each element (MongoDB); otherwise
/// the whole JSON value is the key.</param>
/// <param name="DropsTheFractionOfIntegralNumbers">A number written as <c>1.0</c> comes back as <c>1</c> (MongoDB);
/// otherwise as written.</param>
/// <param name="FiltersFieldNamesWithQuotes">At the storage port, a filter on a field whose name contains <c>"</c>
/// finds it (MongoDB); otherwise it is refused as an invalid path. The query language refuses such paths on both.</param>
public sealed record StoreCapabilities(
    bool SortsArraysByElement,
    bool SortsObjectsFieldByField = false,
    bool FoldsCaseByUnicode = false,
    bool UniqueIndexKeysEachElement = false,
    bool DropsTheFractionOfIntegralNumbers = false,
    bool FiltersFieldNamesWithQuotes = false);
