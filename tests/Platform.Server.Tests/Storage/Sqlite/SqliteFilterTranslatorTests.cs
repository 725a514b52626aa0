using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>The translator as plain code: SQL shape, index usability (query plans) and results on an in-memory database.</summary>
public sealed class SqliteFilterTranslatorTests : IDisposable
{
    private const string Table = "c_t";
    private static readonly IReadOnlySet<string> NoArrays = ImmutableHashSet<string>.Empty;

    private readonly SqliteSession _db = SqliteSession.Open("Data Source=:memory:", 1000);

    public SqliteFilterTranslatorTests()
    {
        _db.ExecuteOnce($"CREATE TABLE {Table} (id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)");
    }

    public void Dispose() => _db.Dispose();

    private void Insert(params string[] documents)
    {
        foreach (var json in documents)
        {
            var doc = JsonNode.Parse(json)!.AsObject();
            _db.Execute($"INSERT INTO {Table} (id, version, data) VALUES (@p0, 1, @p1)", [(string)doc["_id"]!, doc.ToJsonString()]);
        }
    }

    private List<string> Ids(SqliteCommandText where)
    {
        var command = _db.Command($"SELECT id FROM {Table} WHERE {where.Sql} ORDER BY id", where.Parameters);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private string Plan(SqliteCommandText query)
    {
        var command = _db.Command("EXPLAIN QUERY PLAN " + query.Sql, query.Parameters);
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join("\n", lines);
    }

    private static IReadOnlyList<SortField> Sort(params string[] keys) =>
        keys.Select(k => k.StartsWith('-') ? new SortField(k[1..], true) : new SortField(k)).ToList();

    [Fact]
    public void Where_EmitsIndexExpressions_WhenPathNeverHeldAnArray()
    {
        var where = SqliteFilterTranslator.Where(FilterParser.Parse("""{"owner.id":"u1","n":{"$gt":3}}"""), NoArrays);

        var (rank, value) = SqliteSql.SortKey("owner.id");
        Assert.Contains(rank + " = 3", where.Sql, StringComparison.Ordinal);
        Assert.Contains(value + " = @p0", where.Sql, StringComparison.Ordinal);
        Assert.DoesNotContain("json_each", where.Sql, StringComparison.Ordinal);
        Assert.Equal(["u1", 3L], where.Parameters);
    }

    [Fact]
    public void Where_ExpandsArrays_OnlyUnderKnownArrayPaths()
    {
        var arrays = ImmutableHashSet.Create("items");

        var through = SqliteFilterTranslator.Where(FilterParser.Parse("""{"items.qty":{"$gt":5}}"""), arrays);
        var elsewhere = SqliteFilterTranslator.Where(FilterParser.Parse("""{"owner":"u1"}"""), arrays);

        Assert.Contains("json_each", through.Sql, StringComparison.Ordinal);
        Assert.DoesNotContain("json_each", elsewhere.Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"items.qty":{"$gt":5}}""")]
    [InlineData("""{"items.sub.qty":5}""")]
    [InlineData("""{"items":{"$elemMatch":{"qty":5,"sub.qty":{"$exists":true}}}}""")]
    public void Where_ReadsBelowAnArrayElement_FromTheElement_NotFromTheDocumentAgain(string filter)
    {
        // A path below an element used to be data's path through the row's fullkey: each element re-resolved the
        // document from its start, n² over an array of n objects.
        var arrays = ImmutableHashSet.Create("items", "items.sub");

        var where = SqliteFilterTranslator.Where(FilterParser.Parse(filter), arrays);

        Assert.DoesNotContain("fullkey", where.Sql, StringComparison.Ordinal);
        Assert.Contains(".value END)", where.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Where_KeepsSqlLiteral_WhenPathsOrValuesHoldQuotes()
    {
        Insert("""{"_id":"a","it's":"o'clock \"x\""}""", """{"_id":"b","it's":"no"}""");

        var where = SqliteFilterTranslator.Where(FilterParser.Parse("""{"it's":"o'clock \"x\""}"""), NoArrays);

        Assert.Equal(["a"], Ids(where));
    }

    [Theory]
    [InlineData("""{"n":{"$gte":2}}""")]
    [InlineData("""{"n":null}""")]
    [InlineData("""{"n":{"$ne":3}}""")]
    [InlineData("""{"o.k":"x"}""")]
    [InlineData("""{"o.k":{"$exists":false}}""")]
    [InlineData("""{"o":{"k":"x"}}""")]
    [InlineData("""{"s":{"$startsWith":"ab"}}""")]
    [InlineData("""{"s":{"$containsi":"B"}}""")]
    [InlineData("""{"o.0":"x"}""")]
    [InlineData("""{"n":{"$in":[1,"2",null]}}""")]
    [InlineData("""{"$or":[{"n":1},{"o.k":{"$size":1}}]}""")]
    public void Where_GivesSameResults_WhenEveryPathIsTreatedAsPossiblyArray(string filter)
    {
        // Fan-out code must be exact on documents that hold no arrays at all.
        Insert(
            """{"_id":"a","n":1,"s":"abc","o":{"k":"x"}}""",
            """{"_id":"b","n":2,"s":"ABx","o":{"k":"y","0":"x"}}""",
            """{"_id":"c","n":"2","s":"b"}""",
            """{"_id":"d","n":null,"o":{}}""",
            """{"_id":"e","n":3,"o":"x"}""");
        var everything = ImmutableHashSet.Create("n", "s", "o", "o.k", "o.0");

        var exact = Ids(SqliteFilterTranslator.Where(FilterParser.Parse(filter), NoArrays));
        var conservative = Ids(SqliteFilterTranslator.Where(FilterParser.Parse(filter), everything));

        Assert.Equal(exact, conservative);
    }

    [Fact]
    public void Where_MatchesElementsThroughNestedArrays()
    {
        Insert(
            """{"_id":"a","orders":[{"lines":[{"sku":"x","qty":1}]},{"lines":[{"sku":"y","qty":7}]}]}""",
            """{"_id":"b","orders":[{"lines":[{"sku":"x","qty":9}]}]}""",
            """{"_id":"c","orders":{"lines":{"sku":"y","qty":2}}}""");
        var arrays = ImmutableHashSet.Create("orders", "orders.lines");

        Assert.Equal(["a", "c"], Ids(SqliteFilterTranslator.Where(FilterParser.Parse("""{"orders.lines.sku":"y"}"""), arrays)));
        Assert.Equal(["a"], Ids(SqliteFilterTranslator.Where(FilterParser.Parse("""{"orders.lines":{"$elemMatch":{"sku":"y","qty":{"$gt":5}}}}"""), arrays)));
        Assert.Equal(["a", "b"], Ids(SqliteFilterTranslator.Where(FilterParser.Parse("""{"orders.0.lines.0.sku":"x"}"""), arrays)));
        Assert.Equal(["c"], Ids(SqliteFilterTranslator.Where(FilterParser.Parse("""{"orders.lines.qty":{"$not":{"$gt":2}}}"""), arrays)));
    }

    [Fact]
    public void Select_UsesExpressionIndex_ForEqualityAndOrder()
    {
        _db.ExecuteOnce(SqliteDocumentStore.CreateIndexSql(Table, "c_t__ix_owner_-n", new IndexDefinition([new SortField("owner"), new SortField("n", true)])));
        var query = new DocumentQuery(FilterParser.Parse("""{"owner":"u1"}"""), Sort("-n", "_id"), 20);

        var plan = Plan(SqliteFilterTranslator.Select(Table, query, NoArrays));

        Assert.Contains("USING INDEX c_t__ix_owner_-n", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_UsesIndex_ForRangesAndKeysetPositions()
    {
        _db.ExecuteOnce(SqliteDocumentStore.CreateIndexSql(Table, "c_t__ix_n", new IndexDefinition([new SortField("n")])));
        var after = new[] { JsonSerializer.SerializeToElement(5), JsonSerializer.SerializeToElement("id9") };
        var query = new DocumentQuery(FilterParser.Parse("""{"n":{"$gt":2}}"""), Sort("n", "_id"), 20, after);

        var plan = Plan(SqliteFilterTranslator.Select(Table, query, NoArrays));

        Assert.Contains("USING INDEX c_t__ix_n", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    [Fact]
    public void Where_UsesPartialUniqueIndex_ForEquality()
    {
        var unique = new IndexDefinition([new SortField("email")], Unique: true);
        _db.ExecuteOnce(SqliteDocumentStore.CreateIndexSql(Table, "c_t__ux_email", unique));
        var presence = SqliteDocumentStore.PresenceTerms(unique).ToHashSet();

        var plan = Plan(SqliteFilterTranslator.Count(Table, FilterParser.Parse("""{"email":"a@b.c"}"""), NoArrays, presence));

        Assert.Contains("c_t__ux_email", plan, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_RangeAndSortOnAnIndex_ReadsTheIndexInOrder_WithoutRowChecksOrTempSort()
    {
        _db.ExecuteOnce(SqliteDocumentStore.CreateIndexSql(Table, "c_t__ix_status_-priority", new IndexDefinition([new SortField("status"), new SortField("priority", Descending: true)])));
        var query = new DocumentQuery(
            FilterParser.Parse("""{"status":"open","priority":{"$gte":3}}"""),
            [new SortField("priority", Descending: true), new SortField("_id")],
            21);

        var select = SqliteFilterTranslator.Select(Table, query, NoArrays);
        var plan = Plan(select);

        Assert.Contains("c_t__ix_status_-priority", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("IS NOT NULL", select.Sql, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 13, item 3 (the bench's "query: equality + range, sorted"): the plan searches the index on the equality
    /// (rank and value of owner) and the range (rank and value of n) and reads it in order, so no row outside the page
    /// is touched and no temporary B-tree sorts anything.
    /// </summary>
    [Fact]
    public void Select_EqualityPlusRangeSortedByTheRange_SearchesTheIndexOnBothAndNeedsNoSort()
    {
        _db.ExecuteOnce(SqliteDocumentStore.CreateIndexSql(Table, "c_t__ix_owner_-n", new IndexDefinition([new SortField("owner"), new SortField("n", Descending: true)])));
        Insert(
            """{"_id":"a","owner":"o7","n":900}""",
            """{"_id":"b","owner":"o7","n":100}""",
            """{"_id":"c","owner":"o8","n":950}""",
            """{"_id":"d","owner":"o7","n":500}""");
        var query = new DocumentQuery(
            FilterParser.Parse("""{"owner":"o7","n":{"$gte":500}}"""),
            [new SortField("n", Descending: true), new SortField("_id")],
            21);

        var select = SqliteFilterTranslator.Select(Table, query, NoArrays);
        var plan = Plan(select);

        // SQLite names expression columns <expr>: the index's first four columns are owner's rank and value, n's rank
        // and value, so this is both equalities on owner, n's type, and the range on n's value.
        Assert.Equal($"SEARCH {Table} USING INDEX c_t__ix_owner_-n (<expr>=? AND <expr>=? AND <expr>=? AND <expr>>?)", plan);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        Assert.Equal(["a", "d"], Data(select).Select(d => (string)d["_id"]!));
    }

    /// <summary>
    /// A page's statement is prepared once per connection and then only re-bound: SQLite re-prepares a statement whose
    /// plan depends on a bound value every time that value is bound again, and it plans with a bound LIMIT, so without
    /// the query planner stability guarantee (<see cref="SqliteSession.Open"/>) every page was parsed and planned again.
    /// </summary>
    [Fact]
    public void Select_RunAgainWithOtherValues_IsNotPreparedAgain()
    {
        _db.ExecuteOnce(SqliteDocumentStore.CreateIndexSql(Table, "c_t__ix_owner_-n", new IndexDefinition([new SortField("owner"), new SortField("n", Descending: true)])));
        Insert("""{"_id":"a","owner":"o7","n":900}""", """{"_id":"b","owner":"o8","n":950}""");
        _db.Connection.Handle!.enable_sqlite3_next_stmt(true);
        var sql = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (owner, limit) in new[] { ("o7", 21), ("o8", 21), ("o7", 21) })
        {
            var select = SqliteFilterTranslator.Select(
                Table,
                new DocumentQuery(FilterParser.Parse($$$"""{"owner":"{{{owner}}}","n":{"$gte":500}}"""), [new SortField("n", Descending: true), new SortField("_id")], limit),
                NoArrays);
            sql.Add(select.Sql);
            Assert.Single(Data(select));
        }

        var text = Assert.Single(sql);
        Assert.Equal(0, Reprepared(text));
    }

    // SQLITE_STMTSTATUS_REPREPARE (sqlite3.h); SQLitePCLRaw has no constant for it.
    private const int StatementStatusReprepare = 5;

    /// <summary>How often SQLite prepared the connection's statement for <paramref name="sql"/> again (SQLITE_STMTSTATUS_REPREPARE).</summary>
    private int Reprepared(string sql)
    {
        var db = _db.Connection.Handle!;
        for (var statement = SQLitePCL.raw.sqlite3_next_stmt(db, null); statement is not null; statement = SQLitePCL.raw.sqlite3_next_stmt(db, statement))
        {
            if (SQLitePCL.raw.sqlite3_sql(statement).utf8_to_string() == sql)
            {
                return SQLitePCL.raw.sqlite3_stmt_status(statement, StatementStatusReprepare, 0);
            }
        }

        throw new InvalidOperationException("The statement is not prepared on this connection.");
    }

    private List<JsonObject> Data(SqliteCommandText select)
    {
        using var reader = _db.Command(select.Sql, select.Parameters).ExecuteReader();
        var documents = new List<JsonObject>();
        while (reader.Read())
        {
            documents.Add(JsonNode.Parse(reader.GetString(0))!.AsObject());
        }

        return documents;
    }

    [Fact]
    public void Where_UsesPrimaryKey_ForIdConditions()
    {
        var plan = Plan(SqliteFilterTranslator.Count(Table, FilterParser.Parse("""{"_id":{"$in":["a","b"]}}"""), NoArrays));

        Assert.Contains("sqlite_autoindex_c_t_1", plan, StringComparison.Ordinal);
    }

    [Fact]
    public void OrderBy_EmitsRankThenValue_PerKey()
    {
        var (rank, value) = SqliteSql.SortKey("a.b");

        Assert.Equal($"{rank} DESC, {value} DESC, id ASC", SqliteFilterTranslator.OrderBy(Sort("-a.b", "_id")));
    }

    [Theory]
    [InlineData("ab", "ac")]
    [InlineData("a\U0010FFFF", "b")]
    [InlineData("\U0010FFFF", null)]
    [InlineData("", null)]
    [InlineData("a\uD7FF", "a\uE000")]
    public void PrefixUpperBound_IsTheNextStringAfterAllExtensions(string prefix, string? expected)
    {
        Assert.Equal(expected, SqliteSql.PrefixUpperBound(prefix));
    }

    [Fact]
    public void Where_StartsWith_IsExactAroundTheRangeBounds()
    {
        Insert(
            """{"_id":"a","s":"ab"}""",
            """{"_id":"b","s":"ab\uDBFF\uDFFFz"}""",
            """{"_id":"c","s":"ac"}""",
            """{"_id":"d","s":"aa\uDBFF\uDFFF"}""",
            """{"_id":"e","s":"a"}""");

        Assert.Equal(["a", "b"], Ids(SqliteFilterTranslator.Where(FilterParser.Parse("""{"s":{"$startsWith":"ab"}}"""), NoArrays)));
        Assert.Equal(["a", "b", "c", "d", "e"], Ids(SqliteFilterTranslator.Where(FilterParser.Parse("""{"s":{"$startsWith":"a"}}"""), NoArrays)));
    }

    [Fact]
    public void Where_ContainsIgnoreCase_FoldsNonAsciiLetters()
    {
        Insert("""{"_id":"a","s":"Grüße AUS Köln"}""", """{"_id":"b","s":"other"}""");

        Assert.Equal(["a"], Ids(SqliteFilterTranslator.Where(FilterParser.Parse("""{"s":{"$containsi":"KÖLN"}}"""), NoArrays)));
    }
}
