/*
 * tree_json.c — the JSON form of a fitted tree (tree.h).
 */
#include "ml/tree.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- JSON */

/*
 * A forest can hold millions of nodes, so node records and leaf values are
 * packed as base64 of little-endian binary (exact, and one JSON string per
 * array instead of one JSON number object per value):
 *   nodes   n_nodes records of 16 bytes: uint32 feature | missing-left bit,
 *           int32 left child (0 = leaf), float64 threshold (0 for leaves)
 *   values  n_leaves * n_outputs float64
 * or, for vector leaves (classification) whose values are mostly zeros
 * (class frequencies of nearly pure leaves) when it is shorter:
 *   sparse_values  per leaf: uint16 count, then count records of uint16
 *                  output index (increasing) and float64 value; "n_sparse"
 *                  says how many records there are in all (every other
 *                  value is +0.0).  A 26-class forest's JSON is about a
 *                  fifth of the dense form's.
 */
static const char b64chars[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
base64_encode(const uint8_t *in, size_t len)
{
	size_t		olen = (len + 2) / 3 * 4;
	char	   *out = aml_alloc(olen + 1);
	size_t		o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += 3)
	{
		uint32_t	v = (uint32_t) in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t) in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64chars[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode exactly `len` bytes; false on malformed input or another length. */
static bool
base64_decode(const char *in, size_t inlen, uint8_t *out, size_t len)
{
	size_t		o = 0;

	if (inlen % 4 != 0 || inlen != (len + 2) / 3 * 4)
		return false;
	for (size_t i = 0; i < inlen; i += 4)
	{
		int			a = b64_value(in[i]),
					b = b64_value(in[i + 1]),
					c = in[i + 2] == '=' ? 0 : b64_value(in[i + 2]),
					d = in[i + 3] == '=' ? 0 : b64_value(in[i + 3]);
		uint32_t	v;

		if (a < 0 || b < 0 || c < 0 || d < 0)
			return false;
		v = ((uint32_t) a << 18) | ((uint32_t) b << 12) | ((uint32_t) c << 6) | (uint32_t) d;
		if (o < len)
			out[o++] = (uint8_t) (v >> 16);
		if (o < len)
			out[o++] = (uint8_t) (v >> 8);
		if (o < len)
			out[o++] = (uint8_t) v;
	}
	return o == len;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static void
put_f64(uint8_t *p, double d)
{
	uint64_t	v;

	memcpy(&v, &d, sizeof(v));
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t
get_u32(const uint8_t *p)
{
	uint32_t	v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t) p[i] << (8 * i);
	return v;
}

static double
get_f64(const uint8_t *p)
{
	uint64_t	v = 0;
	double		d;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t) p[i] << (8 * i);
	memcpy(&d, &v, sizeof(d));
	return d;
}

/* A stored value that the sparse form leaves out: +0.0 exactly. */
static bool
zero_bits(double v)
{
	return v == 0 && !signbit(v);
}

/* Records of the sparse form, or -1 when the dense form is used (it is not shorter). */
static long
sparse_records(const AmlTree *t)
{
	long		nnz = 0;
	size_t		n = (size_t) t->n_leaves * (size_t) t->n_outputs;

	if (t->n_outputs < 2 || t->n_outputs > UINT16_MAX)
		return -1;
	for (size_t k = 0; k < n; k++)
		nnz += !zero_bits(t->values[k]);
	return nnz <= INT32_MAX / 16 && 2.0 * t->n_leaves + 10.0 * nnz < 8.0 * n ? nnz : -1;
}

double
aml_tree_json_bytes(const AmlTree *t)
{
	long		nnz = sparse_records(t);
	double		values = nnz >= 0 ? 2.0 * t->n_leaves + 10.0 * nnz
		: 8.0 * t->n_leaves * t->n_outputs;

	/* base64: 4 characters per 3 bytes; the rest (sizes, importances) is small */
	return 4.0 / 3.0 * (16.0 * t->n_nodes + values) + 16.0 * t->n_features + 90;
}

json_object *
aml_tree_to_json(const AmlTree *t)
{
	json_object *o = json_object_new_object();
	size_t		nb = (size_t) t->n_nodes * 16;
	long		nnz = sparse_records(t);
	size_t		vb = nnz >= 0 ? (size_t) t->n_leaves * 2 + (size_t) nnz * 10
		: (size_t) t->n_leaves * (size_t) t->n_outputs * 8;
	uint8_t    *buf = aml_alloc(nb > vb ? nb : vb);
	char	   *text;

	json_object_object_add(o, "n_nodes", json_object_new_int(t->n_nodes));
	json_object_object_add(o, "n_leaves", json_object_new_int(t->n_leaves));
	json_object_object_add(o, "depth", json_object_new_int(t->depth));
	if (buf == NULL)
	{
		json_object_put(o);
		return NULL;
	}
	for (int i = 0, leaf_no = 0; i < t->n_nodes; i++)
	{
		const AmlTreeNode *nd = &t->nodes[i];
		bool		leaf = nd->left == i;

		put_u32(buf + 16 * (size_t) i, leaf ? (uint32_t) leaf_no++ : nd->feature);
		put_u32(buf + 16 * (size_t) i + 4, leaf ? 0 : (uint32_t) nd->left);
		put_f64(buf + 16 * (size_t) i + 8, leaf ? 0.0 : nd->threshold);
	}
	text = base64_encode(buf, nb);
	json_object_object_add(o, "nodes", text ? json_object_new_string(text) : NULL);
	aml_free(text);
	if (nnz >= 0)
	{
		size_t		b = 0;

		for (int l = 0; l < t->n_leaves; l++)
		{
			const double *v = t->values + (size_t) l * t->n_outputs;
			size_t		count_at = b;
			uint16_t	count = 0;

			b += 2;
			for (int r = 0; r < t->n_outputs; r++)
				if (!zero_bits(v[r]))
				{
					put_u16(buf + b, (uint16_t) r);
					put_f64(buf + b + 2, v[r]);
					b += 10;
					count++;
				}
			put_u16(buf + count_at, count);
		}
		text = base64_encode(buf, vb);
		json_object_object_add(o, "n_sparse", json_object_new_int((int) nnz));
		json_object_object_add(o, "sparse_values", text ? json_object_new_string(text) : NULL);
	}
	else
	{
		for (size_t k = 0; k < (size_t) t->n_leaves * (size_t) t->n_outputs; k++)
			put_f64(buf + 8 * k, t->values[k]);
		text = base64_encode(buf, vb);
		json_object_object_add(o, "values", text ? json_object_new_string(text) : NULL);
	}
	aml_free(text);
	aml_free(buf);
	json_object_object_add(o, "importances",
						   aml_json_new_double_array(t->importances, t->n_features));
	return o;
}

/* The sparse form of the leaf values (see the top), into t->values (n_leaves x n_outputs, sized). */
static AmlStatus
sparse_values_from_json(json_object *obj, AmlTree *t, AmlError *err)
{
	json_object *s;
	int			nnz;
	size_t		len,
				b = 0;
	uint8_t    *buf;
	bool		ok;

	AML_TRY(aml_json_get_int(obj, "n_sparse", &nnz, "tree", err));
	AML_TRY(aml_json_get(obj, "sparse_values", json_type_string, &s, "tree", err));
	if (nnz < 0 || (size_t) nnz > (size_t) t->n_leaves * (size_t) t->n_outputs)
		return aml_error(err, AML_ERR_BAD_FORMAT, "tree leaf values are malformed");
	len = (size_t) t->n_leaves * 2 + (size_t) nnz * 10;
	buf = aml_alloc(len > 0 ? len : 1);
	if (buf == NULL)
		return aml_error_nomem(err, "a tree");
	ok = base64_decode(json_object_get_string(s), (size_t) json_object_get_string_len(s), buf, len);
	memset(t->values, 0, sizeof(double) * (size_t) t->n_leaves * (size_t) t->n_outputs);
	for (int l = 0; ok && l < t->n_leaves; l++)
	{
		int			count,
					last = -1;

		ok = b + 2 <= len;
		if (!ok)
			break;
		count = get_u16(buf + b);
		b += 2;
		ok = count <= t->n_outputs && b + (size_t) count * 10 <= len;
		for (int c = 0; ok && c < count; c++, b += 10)
		{
			int			r = get_u16(buf + b);

			ok = r > last && r < t->n_outputs;
			if (ok)
				t->values[(size_t) l * t->n_outputs + r] = get_f64(buf + b + 2);
			last = r;
		}
	}
	aml_free(buf);
	if (!ok || b != len)
		return aml_error(err, AML_ERR_BAD_FORMAT, "tree leaf values are malformed");
	return AML_OK;
}

AmlStatus
aml_tree_from_json(json_object *obj, int n_features, int n_outputs, AmlTree *out,
				   AmlError *err)
{
	const char *what = "tree";
	int			n_nodes,
				n_leaves,
				depth;
	json_object *s;
	uint8_t    *buf = NULL;
	size_t		nb,
				vb;
	int			leaf_no = 0;

	memset(out, 0, sizeof(*out));
	AML_TRY(aml_json_get_int(obj, "n_nodes", &n_nodes, what, err));
	AML_TRY(aml_json_get_int(obj, "n_leaves", &n_leaves, what, err));
	AML_TRY(aml_json_get_int(obj, "depth", &depth, what, err));
	if (n_nodes < 1 || n_leaves < 1 || n_leaves > n_nodes || n_features < 1 || n_outputs < 1)
		return aml_error(err, AML_ERR_BAD_FORMAT, "tree has an invalid size");
	out->n_nodes = n_nodes;
	out->n_leaves = n_leaves;
	out->n_outputs = n_outputs;
	out->n_features = n_features;
	out->depth = depth;
	nb = (size_t) n_nodes * 16;
	/* the dense values' bytes (the sparse form decodes on its own) */
	vb = json_object_object_get_ex(obj, "sparse_values", NULL) ? 0 : (size_t) n_leaves * (size_t) n_outputs * 8;
	out->nodes = AML_NEW_ARRAY(AmlTreeNode, n_nodes);
	out->values = AML_NEW_ARRAY(double, (size_t) n_leaves * (size_t) n_outputs);
	out->importances = AML_NEW_ARRAY(double, n_features);
	buf = aml_alloc(nb > vb ? nb : vb);
	if (out->nodes == NULL || out->values == NULL || out->importances == NULL || buf == NULL)
	{
		aml_free(buf);
		aml_tree_free(out);
		return aml_error_nomem(err, "a tree");
	}
	if (json_object_object_get_ex(obj, "sparse_values", NULL))
	{
		if (sparse_values_from_json(obj, out, err) != AML_OK)
			goto fail;
	}
	else
	{
		if (aml_json_get(obj, "values", json_type_string, &s, what, err) != AML_OK)
			goto fail;
		if (!base64_decode(json_object_get_string(s), (size_t) json_object_get_string_len(s), buf, vb))
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "tree leaf values are malformed");
			goto fail;
		}
		for (size_t k = 0; k < (size_t) n_leaves * (size_t) n_outputs; k++)
			out->values[k] = get_f64(buf + 8 * k);
	}
	if (aml_json_get(obj, "nodes", json_type_string, &s, what, err) != AML_OK)
		goto fail;
	if (!base64_decode(json_object_get_string(s), (size_t) json_object_get_string_len(s), buf, nb))
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "tree nodes are malformed");
		goto fail;
	}
	for (int i = 0; i < n_nodes; i++)
	{
		AmlTreeNode *nd = &out->nodes[i];

		nd->feature = get_u32(buf + 16 * (size_t) i);
		nd->left = (int32_t) get_u32(buf + 16 * (size_t) i + 4);
		nd->threshold = get_f64(buf + 16 * (size_t) i + 8);
		if (nd->left == 0)
		{
			/* leaves are numbered in node order */
			if (nd->feature != (uint32_t) leaf_no || leaf_no >= n_leaves)
			{
				aml_error(err, AML_ERR_BAD_FORMAT, "tree leaf %d is misnumbered", i);
				goto fail;
			}
			nd->left = i;
			nd->feature = (uint32_t) n_features;
			nd->threshold = n_outputs == 1 ? out->values[leaf_no] : (double) leaf_no;
			leaf_no++;
		}
		else if (nd->left <= i || nd->left >= n_nodes - 1 ||
				 (nd->feature & AML_TREE_FEATURE_MASK) >= (uint32_t) n_features ||
				 isnan(nd->threshold))
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "tree node %d is invalid", i);
			goto fail;
		}
	}
	if (leaf_no != n_leaves)
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "tree has %d leaves, expected %d", leaf_no, n_leaves);
		goto fail;
	}
	if (aml_json_get_double_array(obj, "importances", out->importances, n_features, what,
								  err) != AML_OK)
		goto fail;
	aml_free(buf);
	return AML_OK;

fail:
	aml_free(buf);
	aml_tree_free(out);
	if (err->status != AML_ERR_OUT_OF_MEMORY)
		err->status = AML_ERR_BAD_FORMAT;
	return err->status;
}
