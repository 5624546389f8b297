/* Parsing the query parameters of one request. Nothing here allocates or
 * keeps state: the arguments are read where they lie and every refusal
 * names the Base message, the parameter and the value that caused it. */
#include "redfish/query.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "redfish/error.h"

static int refuse(struct rf_query_error *err, enum rf_query_refusal kind, const char *param,
		  const char *value, const char *range)
{
	err->kind = kind;
	err->param = param;
	err->value = value;
	snprintf(err->range, sizeof(err->range), "%s", range ? range : "");
	return -EINVAL;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Whether s reads as a number of some other form (sign, fraction,
 * exponent): a format problem rather than a type problem. */
static bool numeric_looking(const char *s)
{
	bool digit = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (!strchr("+-.eE", *s))
			return false;
	}
	return digit;
}

/* A non-negative decimal integer of at most max. Larger values, and
 * negative ones, are out of range; numbers of another form a format error;
 * anything else a type error. */
static int parse_count(const char *param, const char *value, size_t max, const char *range,
		       size_t *out, struct rf_query_error *err)
{
	size_t n = strlen(value), v = 0;

	if (value[0] == '-' && all_digits(value + 1, n - 1))
		return refuse(err, RF_QUERY_OUT_OF_RANGE, param, value, range);
	if (!all_digits(value, n))
		return refuse(err, numeric_looking(value) ? RF_QUERY_VALUE_FORMAT
							  : RF_QUERY_VALUE_TYPE,
			      param, value, NULL);
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(value[i] - '0');
		if (v > (max - d) / 10)
			return refuse(err, RF_QUERY_OUT_OF_RANGE, param, value, range);
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* "*", "." or "~", optionally followed by "($levels=N)", 1 <= N <= 2. */
static int parse_expand(const char *value, struct rf_query *q, struct rf_query_error *err)
{
	static const char levels[] = "($levels=";
	const size_t lp = sizeof(levels) - 1;
	const char *digits, *close;
	size_t n;

	switch (value[0]) {
	case '*':
		q->expand = RF_EXPAND_ALL;
		break;
	case '.':
		q->expand = RF_EXPAND_NOT_LINKS;
		break;
	case '~':
		q->expand = RF_EXPAND_LINKS;
		break;
	default:
		return refuse(err, RF_QUERY_VALUE_FORMAT, "$expand", value, NULL);
	}
	q->levels = 1;
	if (value[1] == '\0')
		return 0;
	if (strncmp(value + 1, levels, lp) != 0)
		return refuse(err, RF_QUERY_VALUE_FORMAT, "$expand", value, NULL);
	digits = value + 1 + lp;
	close = strchr(digits, ')');
	if (!close || close[1] != '\0' || !all_digits(digits, (size_t)(close - digits)))
		return refuse(err, RF_QUERY_VALUE_FORMAT, "$expand", value, NULL);
	n = (size_t)(close - digits);
	while (n > 1 && digits[0] == '0') { /* leading zeros do not make it larger */
		digits++;
		n--;
	}
	if (n != 1 || digits[0] < '1' || digits[0] > '0' + RF_QUERY_MAX_LEVELS)
		return refuse(err, RF_QUERY_OUT_OF_RANGE, "$expand", value, "$levels 1-2");
	q->levels = (unsigned)(digits[0] - '0');
	return 0;
}

/* Property names as DSP0266 spells them, annotations and action names
 * included: letters, digits, '_', '@', '#', '.'. */
static bool segment_ok(const char *s, size_t n)
{
	if (n == 0 || n > RF_SELECT_MAX_SEGMENT)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '@' || c == '#' || c == '.'))
			return false;
	}
	return true;
}

static int select_child(const struct rf_query *q, int parent, const char *name, size_t len)
{
	for (size_t i = 1; i < q->nselect; i++)
		if (q->select[i].parent == parent && q->select[i].len == len &&
		    memcmp(q->select[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* One comma-separated item: a path of '/'-separated segments. */
static int select_path(const char *item, size_t len, const char *value, struct rf_query *q,
		       struct rf_query_error *err)
{
	int node = 0;
	size_t pos = 0;

	if (len == 0)
		return refuse(err, RF_QUERY_VALUE_FORMAT, "$select", value, NULL);
	while (pos <= len) {
		const char *seg = item + pos;
		const char *slash = memchr(seg, '/', len - pos);
		size_t n = slash ? (size_t)(slash - seg) : len - pos;
		int child;

		if (!segment_ok(seg, n))
			return refuse(err, RF_QUERY_VALUE_FORMAT, "$select", value, NULL);
		child = select_child(q, node, seg, n);
		if (child < 0) {
			if (q->nselect == RF_SELECT_MAX_NODES)
				return refuse(err, RF_QUERY_OUT_OF_RANGE, "$select", value,
					      "up to 47 names");
			child = (int)q->nselect++;
			q->select[child] = (struct rf_select_node){ seg, n, node, false };
		}
		node = child;
		pos += n + 1;
	}
	q->select[node].selected = true;
	return 0;
}

static int parse_select(const char *value, struct rf_query *q, struct rf_query_error *err)
{
	const char *p = value;

	q->select[0] = (struct rf_select_node){ "", 0, -1, false };
	q->nselect = 1;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int rc = select_path(p, n, value, q, err);

		if (rc)
			return rc;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* Which option a parameter name is, 0 for one that is ignored, or -1 for
 * an unsupported '$' option. */
static int option_of(const char *name)
{
	static const struct {
		const char *name;
		unsigned option;
	} known[] = {
		{ "only", RF_Q_ONLY },	   { "$top", RF_Q_TOP },	 { "$skip", RF_Q_SKIP },
		{ "$select", RF_Q_SELECT }, { "$expand", RF_Q_EXPAND },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i].name) == 0)
			return (int)known[i].option;
	return name[0] == '$' ? -1 : 0;
}

static int parse_one(unsigned option, const char *name, const char *value, struct rf_query *q,
		     struct rf_query_error *err)
{
	switch (option) {
	case RF_Q_ONLY:
		/* only takes no value */
		return value[0] ? refuse(err, RF_QUERY_VALUE_FORMAT, name, value, NULL) : 0;
	case RF_Q_TOP:
		return parse_count(name, value, RF_QUERY_MAX_TOP, "0-1000", &q->top, err);
	case RF_Q_SKIP:
		return parse_count(name, value, RF_QUERY_MAX_SKIP, "0-4294967295", &q->skip, err);
	case RF_Q_SELECT:
		q->select_text = value;
		return parse_select(value, q, err);
	default:
		q->expand_text = value;
		return parse_expand(value, q, err);
	}
}

int rf_query_parse(const struct http_header *args, size_t nargs, struct rf_query *q,
		   struct rf_query_error *err)
{
	memset(q, 0, sizeof(*q));
	for (size_t i = 0; i < nargs; i++) {
		const char *name = args[i].name, *value = args[i].value ? args[i].value : "";
		int option = option_of(name);
		int rc;

		if (option < 0)
			return refuse(err, RF_QUERY_UNSUPPORTED, name, value, NULL);
		if (option == 0)
			continue;
		/* The same option twice cannot mean both values. */
		if (q->options & (unsigned)option)
			return refuse(err, RF_QUERY_COMBINATION, name, value, NULL);
		if ((rc = parse_one((unsigned)option, name, value, q, err)))
			return rc;
		q->options |= (unsigned)option;
	}
	/* DSP0266: only stands alone; bmcweb (and DSP0266's open question on
	 * what $select means inside expanded resources) keeps $select and
	 * $expand apart. */
	if (((q->options & RF_Q_ONLY) && q->options != RF_Q_ONLY) ||
	    ((q->options & RF_Q_SELECT) && (q->options & RF_Q_EXPAND)))
		return refuse(err, RF_QUERY_COMBINATION, "", "", NULL);
	return 0;
}

void rf_query_refuse(struct http_response *resp, const struct rf_query_error *err)
{
	switch (err->kind) {
	case RF_QUERY_UNSUPPORTED:
		rf_query_parameter_unsupported(resp, err->param);
		break;
	case RF_QUERY_VALUE_TYPE:
		rf_query_parameter_value_type_error(resp, err->value, err->param);
		break;
	case RF_QUERY_VALUE_FORMAT:
		rf_query_parameter_value_format_error(resp, err->value, err->param);
		break;
	case RF_QUERY_OUT_OF_RANGE:
		rf_query_parameter_out_of_range(resp, err->value, err->param, err->range);
		break;
	default:
		rf_query_combination_invalid(resp);
		break;
	}
}
