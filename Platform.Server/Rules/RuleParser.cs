using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Server.Common;

namespace Platform.Server.Rules;

/// <summary>
/// Parses a rule into its syntax tree. Grammar, loosest binding first:
/// <c>or := and ('||' and)*</c>, <c>and := comparison ('&amp;&amp;' comparison)*</c>,
/// <c>comparison := unary (('==' | '!=' | '&lt;' | '&lt;=' | '&gt;' | '&gt;=' | 'in') unary)?</c>
/// (comparisons do not chain), <c>unary := '!' unary | primary</c>,
/// <c>primary := literal | name ('.' field)* | '(' or ')' | '[' (or (',' or)*)? ']'</c>.
/// Every error names the 0-based character offset it was found at.
/// </summary>
internal sealed class RuleParser
{
    public const int MaxLength = 2000;
    public const int MaxDepth = 32;

    private readonly string _text;
    private readonly string? _field;
    private readonly bool _invoke;
    private readonly List<Token> _tokens;
    private int _index;
    private int _depth;

    private RuleParser(string text, string? field, bool invoke)
    {
        _text = text;
        _field = field;
        _invoke = invoke;
        _tokens = Tokenize();
    }

    /// <param name="text">The rule.</param>
    /// <param name="field">Named in the errors, e.g. <c>rules.list</c>.</param>
    /// <param name="invoke">An invoke rule (a callable function's guard), which may also read <c>args</c>.</param>
    public static RuleExpr Parse(string text, string? field, bool invoke = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw Error(field, $"A rule may be at most {MaxLength} characters long.", MaxLength);
        }

        var parser = new RuleParser(text, field, invoke);
        var expression = parser.ParseOr();
        var next = parser.Current;
        if (next.Kind != TokenKind.End)
        {
            throw parser.Error(next.Kind is TokenKind.Eq or TokenKind.Ne or TokenKind.Lt or TokenKind.Le or TokenKind.Gt or TokenKind.Ge or TokenKind.In
                ? $"Comparisons do not chain: '{next.Text}' follows a comparison; combine them with && or ||."
                : $"Unexpected '{next.Text}' after a complete expression.", next.Position);
        }

        return expression;
    }

    internal static InvalidInputException Error(string? field, string message, int position) =>
        new("invalid_rule", message, field, ErrorKind.Invalid, position);

    private InvalidInputException Error(string message, int position) => Error(_field, message, position);

    private Token Current => _tokens[_index];

    private Token Advance() => _tokens[_index++];

    private RuleExpr ParseOr()
    {
        var left = ParseAnd();
        while (Current.Kind == TokenKind.Or)
        {
            var op = Advance();
            left = new BinaryExpr(op.Position, RuleOperator.Or, left, ParseAnd());
        }

        return left;
    }

    private RuleExpr ParseAnd()
    {
        var left = ParseComparison();
        while (Current.Kind == TokenKind.And)
        {
            var op = Advance();
            left = new BinaryExpr(op.Position, RuleOperator.And, left, ParseComparison());
        }

        return left;
    }

    private RuleExpr ParseComparison()
    {
        var left = ParseUnary();
        RuleOperator? op = Current.Kind switch
        {
            TokenKind.Eq => RuleOperator.Eq,
            TokenKind.Ne => RuleOperator.Ne,
            TokenKind.Lt => RuleOperator.Lt,
            TokenKind.Le => RuleOperator.Le,
            TokenKind.Gt => RuleOperator.Gt,
            TokenKind.Ge => RuleOperator.Ge,
            TokenKind.In => RuleOperator.In,
            _ => null,
        };
        if (op is null)
        {
            return left;
        }

        var token = Advance();
        return new BinaryExpr(token.Position, op.Value, left, ParseUnary());
    }

    private RuleExpr ParseUnary()
    {
        if (Current.Kind != TokenKind.Not)
        {
            return ParsePrimary();
        }

        var not = Advance();
        Enter(not);
        var operand = ParseUnary();
        _depth--;
        return new NotExpr(not.Position, operand);
    }

    private RuleExpr ParsePrimary()
    {
        var token = Advance();
        switch (token.Kind)
        {
            case TokenKind.String:
            case TokenKind.Number:
            case TokenKind.True:
            case TokenKind.False:
            case TokenKind.Null:
                return new LiteralExpr(token.Position, token.Value);
            case TokenKind.Identifier:
                return ParseName(token);
            case TokenKind.LParen:
            {
                Enter(token);
                var inner = ParseOr();
                if (Current.Kind != TokenKind.RParen)
                {
                    throw Error($"Expected ')' to close the '(' at {token.Position}, found {Describe(Current)}.", Current.Position);
                }

                Advance();
                _depth--;
                return inner;
            }

            case TokenKind.LBracket:
            {
                Enter(token);
                var items = new List<RuleExpr>();
                if (Current.Kind != TokenKind.RBracket)
                {
                    items.Add(ParseOr());
                    while (Current.Kind == TokenKind.Comma)
                    {
                        Advance();
                        items.Add(ParseOr());
                    }
                }

                if (Current.Kind != TokenKind.RBracket)
                {
                    throw Error($"Expected ',' or ']' to close the '[' at {token.Position}, found {Describe(Current)}.", Current.Position);
                }

                Advance();
                _depth--;
                return new ArrayExpr(token.Position, items);
            }

            case TokenKind.End:
                throw Error("The rule ends where a value was expected.", token.Position);
            default:
                throw Error($"Unexpected '{token.Text}' where a value was expected.", token.Position);
        }
    }

    private NameExpr ParseName(Token name)
    {
        RuleRoot root = name.Text switch
        {
            "auth" => RuleRoot.Auth,
            "doc" => RuleRoot.Doc,
            "data" => RuleRoot.Data,
            "now" => RuleRoot.Now,
            "args" when _invoke => RuleRoot.Args,
            _ => throw Error(
                _invoke ? $"Unknown name '{name.Text}': an invoke rule can read auth, args and now." : $"Unknown name '{name.Text}': a rule can read auth, doc, data and now.",
                name.Position),
        };
        var members = new List<string>();
        while (Current.Kind == TokenKind.Dot)
        {
            var dot = Advance();
            if (root == RuleRoot.Now)
            {
                throw Error("'now' is a string and has no fields.", dot.Position);
            }

            var member = Advance();
            if (member.Kind is not (TokenKind.Identifier or TokenKind.True or TokenKind.False or TokenKind.Null or TokenKind.In))
            {
                throw Error($"Expected a field name after '.', found {Describe(member)}.", member.Position);
            }

            members.Add(member.Text);
        }

        return new NameExpr(name.Position, root, members);
    }

    private void Enter(Token token)
    {
        if (++_depth > MaxDepth)
        {
            throw Error($"The rule nests more than {MaxDepth} levels deep.", token.Position);
        }
    }

    private static string Describe(Token token) => token.Kind == TokenKind.End ? "the end of the rule" : $"'{token.Text}'";

    private List<Token> Tokenize()
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < _text.Length && _text[i] is ' ' or '\t' or '\r' or '\n')
            {
                i++;
            }

            if (i >= _text.Length)
            {
                tokens.Add(new Token(TokenKind.End, _text.Length, string.Empty, null));
                return tokens;
            }

            var start = i;
            var c = _text[i];
            var next = i + 1 < _text.Length ? _text[i + 1] : '\0';
            switch (c)
            {
                case '(':
                    tokens.Add(Symbol(TokenKind.LParen, start, 1));
                    i++;
                    break;
                case ')':
                    tokens.Add(Symbol(TokenKind.RParen, start, 1));
                    i++;
                    break;
                case '[':
                    tokens.Add(Symbol(TokenKind.LBracket, start, 1));
                    i++;
                    break;
                case ']':
                    tokens.Add(Symbol(TokenKind.RBracket, start, 1));
                    i++;
                    break;
                case ',':
                    tokens.Add(Symbol(TokenKind.Comma, start, 1));
                    i++;
                    break;
                case '.':
                    tokens.Add(Symbol(TokenKind.Dot, start, 1));
                    i++;
                    break;
                case '=' when next == '=':
                    tokens.Add(Symbol(TokenKind.Eq, start, 2));
                    i += 2;
                    break;
                case '=':
                    throw Error("Use '==' to compare ('=' alone is not an operator).", start);
                case '!' when next == '=':
                    tokens.Add(Symbol(TokenKind.Ne, start, 2));
                    i += 2;
                    break;
                case '!':
                    tokens.Add(Symbol(TokenKind.Not, start, 1));
                    i++;
                    break;
                case '<' when next == '=':
                    tokens.Add(Symbol(TokenKind.Le, start, 2));
                    i += 2;
                    break;
                case '<':
                    tokens.Add(Symbol(TokenKind.Lt, start, 1));
                    i++;
                    break;
                case '>' when next == '=':
                    tokens.Add(Symbol(TokenKind.Ge, start, 2));
                    i += 2;
                    break;
                case '>':
                    tokens.Add(Symbol(TokenKind.Gt, start, 1));
                    i++;
                    break;
                case '&' when next == '&':
                    tokens.Add(Symbol(TokenKind.And, start, 2));
                    i += 2;
                    break;
                case '|' when next == '|':
                    tokens.Add(Symbol(TokenKind.Or, start, 2));
                    i += 2;
                    break;
                case '&' or '|':
                    throw Error($"Use '{c}{c}' ('{c}' alone is not an operator).", start);
                case '"' or '\'':
                    i = ReadString(start, tokens);
                    break;
                case '-' or (>= '0' and <= '9'):
                    i = ReadNumber(start, tokens);
                    break;
                default:
                    if (IsIdentifierStart(c))
                    {
                        i = ReadWord(start, tokens);
                        break;
                    }

                    throw Error($"Unexpected character '{c}'.", start);
            }
        }
    }

    private Token Symbol(TokenKind kind, int start, int length) => new(kind, start, _text.Substring(start, length), null);

    private static bool IsIdentifierStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || c is >= '0' and <= '9';

    private int ReadWord(int start, List<Token> tokens)
    {
        var i = start;
        while (i < _text.Length && IsIdentifierPart(_text[i]))
        {
            i++;
        }

        var word = _text[start..i];
        tokens.Add(word switch
        {
            "true" => new Token(TokenKind.True, start, word, JsonValue.Create(true)),
            "false" => new Token(TokenKind.False, start, word, JsonValue.Create(false)),
            "null" => new Token(TokenKind.Null, start, word, null),
            "in" => new Token(TokenKind.In, start, word, null),
            _ => new Token(TokenKind.Identifier, start, word, null),
        });
        return i;
    }

    private int ReadNumber(int start, List<Token> tokens)
    {
        var i = start;
        if (_text[i] == '-')
        {
            i++;
        }

        var digits = SkipDigits(ref i);
        var isInteger = true;
        if (i < _text.Length && _text[i] == '.')
        {
            i++;
            isInteger = false;
            digits = digits && SkipDigits(ref i);
        }

        if (digits && i < _text.Length && _text[i] is 'e' or 'E')
        {
            i++;
            isInteger = false;
            if (i < _text.Length && _text[i] is '+' or '-')
            {
                i++;
            }

            digits = SkipDigits(ref i);
        }

        var text = _text[start..i];
        if (!digits)
        {
            throw Error($"'{text}' is not a number.", start);
        }

        JsonValue value;
        if (isInteger && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            value = JsonValue.Create(integer);
        }
        else
        {
            var number = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(number))
            {
                throw Error($"The number '{text}' is out of range.", start);
            }

            value = JsonValue.Create(number);
        }

        tokens.Add(new Token(TokenKind.Number, start, text, value));
        return i;
    }

    private bool SkipDigits(ref int i)
    {
        var from = i;
        while (i < _text.Length && _text[i] is >= '0' and <= '9')
        {
            i++;
        }

        return i > from;
    }

    private int ReadString(int start, List<Token> tokens)
    {
        var quote = _text[start];
        var builder = new StringBuilder();
        var i = start + 1;
        while (true)
        {
            if (i >= _text.Length)
            {
                throw Error($"The string starting at {start} is not closed with {quote}.", start);
            }

            var c = _text[i];
            if (c == quote)
            {
                tokens.Add(new Token(TokenKind.String, start, _text[start..(i + 1)], JsonValue.Create(builder.ToString())));
                return i + 1;
            }

            if (c != '\\')
            {
                builder.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= _text.Length)
            {
                throw Error($"The string starting at {start} is not closed with {quote}.", start);
            }

            var escape = _text[i + 1];
            switch (escape)
            {
                case '\\' or '\'' or '"' or '/':
                    builder.Append(escape);
                    break;
                case 'n':
                    builder.Append('\n');
                    break;
                case 't':
                    builder.Append('\t');
                    break;
                case 'r':
                    builder.Append('\r');
                    break;
                case 'b':
                    builder.Append('\b');
                    break;
                case 'f':
                    builder.Append('\f');
                    break;
                case 'u' when i + 5 < _text.Length && ushort.TryParse(_text.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    builder.Append((char)code);
                    i += 4;
                    break;
                case 'u':
                    throw Error("'\\u' must be followed by four hex digits.", i);
                default:
                    throw Error($"Unknown escape '\\{escape}' in a string (allowed: \\\\ \\' \\\" \\/ \\n \\t \\r \\b \\f \\uXXXX).", i);
            }

            i += 2;
        }
    }

    private enum TokenKind
    {
        End,
        Identifier,
        String,
        Number,
        True,
        False,
        Null,
        In,
        Eq,
        Ne,
        Lt,
        Le,
        Gt,
        Ge,
        And,
        Or,
        Not,
        LParen,
        RParen,
        LBracket,
        RBracket,
        Comma,
        Dot,
    }

    private readonly record struct Token(TokenKind Kind, int Position, string Text, JsonNode? Value);
}
