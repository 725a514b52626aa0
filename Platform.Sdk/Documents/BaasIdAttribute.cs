namespace Platform.Sdk;

/// <summary>
/// Marks the string property that holds a document's <c>_id</c>. Without it, a public string property
/// named <c>Id</c> is used. The property is read on writes (a non-empty value becomes the <c>_id</c> of a
/// new document) and filled on reads; LINQ queries on it filter on <c>_id</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class BaasIdAttribute : Attribute
{
}
