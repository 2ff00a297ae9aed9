// helm-render: renders a Helm v3 chart offline the way `helm template` does, for ./vad k8s validate.
//
// No helm binary can be installed here, so this is Helm's rendering engine (helm.sh/helm/v3/pkg/engine) rebuilt on
// the same parts: Go's text/template, Masterminds/sprig v3 (Helm's function library) and sigs.k8s.io/yaml (Helm's
// YAML), both from Debian packages. Like Helm it drops sprig's env/expandenv, adds include, tpl, required, toYaml,
// fromYaml, fromYamlArray, toJson, fromJson, fromJsonArray, lookup (empty offline, as in `helm template`), renders
// with missingkey=zero and removes "<no value>", coalesces -f/--set values over values.yaml (null deletes a key),
// checks Chart.yaml's kubeVersion, skips partials (_*.tpl) and prints "# Source:" headed documents.
// Not covered (the chart does not use them): subcharts/dependencies, .Files, toToml, library charts, hooks.
//
// Usage: helm-render [--namespace NS] [--kube-version v1.31.0] [-f values.yaml]... [--set a.b=c]...
//
//	[--values-out FILE] [--notes] RELEASE CHART_DIR
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/semver/v3"
	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// Metadata mirrors the Chart.yaml fields templates read as .Chart.<Field> (Helm's chart.Metadata).
type Metadata struct {
	Name        string   `json:"name,omitempty"`
	Home        string   `json:"home,omitempty"`
	Sources     []string `json:"sources,omitempty"`
	Version     string   `json:"version,omitempty"`
	Description string   `json:"description,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
	Icon        string   `json:"icon,omitempty"`
	APIVersion  string   `json:"apiVersion,omitempty"`
	Condition   string   `json:"condition,omitempty"`
	Tags        string   `json:"tags,omitempty"`
	AppVersion  string   `json:"appVersion,omitempty"`
	Deprecated  bool     `json:"deprecated,omitempty"`
	KubeVersion string   `json:"kubeVersion,omitempty"`
	Type        string   `json:"type,omitempty"`
}

// KubeVersion and Capabilities mirror chartutil.Capabilities (.Capabilities.KubeVersion.Version, .APIVersions.Has).
type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

func (kv *KubeVersion) String() string { return kv.Version }

// GitVersion is Helm's deprecated alias of Version.
func (kv *KubeVersion) GitVersion() string { return kv.Version }

type VersionSet []string

func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion map[string]string
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "helm-render: "+err.Error())
		os.Exit(1)
	}
}

func run(args []string) error {
	namespace, kubeVersion, valuesOut, notes := "default", "v1.31.0", "", false
	var valueFiles, sets, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		var err error
		switch a {
		case "-n", "--namespace":
			namespace, err = next()
		case "--kube-version":
			kubeVersion, err = next()
		case "-f", "--values":
			var v string
			v, err = next()
			valueFiles = append(valueFiles, v)
		case "--set":
			var v string
			v, err = next()
			sets = append(sets, v)
		case "--notes":
			notes = true
		case "--values-out":
			valuesOut, err = next()
		default:
			if strings.HasPrefix(a, "-") {
				return fmt.Errorf("unknown option %s", a)
			}
			positional = append(positional, a)
		}
		if err != nil {
			return err
		}
	}
	if len(positional) != 2 {
		return errors.New("usage: helm-render [--namespace NS] [--kube-version V] [-f FILE]... [--set K=V]... [--values-out FILE] [--notes] RELEASE CHART_DIR")
	}
	release, chartDir := positional[0], positional[1]

	var meta Metadata
	if err := readYAML(filepath.Join(chartDir, "Chart.yaml"), &meta); err != nil {
		return err
	}
	if meta.APIVersion != "v2" || meta.Name == "" || meta.Version == "" {
		return errors.New("Chart.yaml: apiVersion v2, name and version are required")
	}
	if _, err := semver.StrictNewVersion(meta.Version); err != nil {
		return fmt.Errorf("Chart.yaml: version %q is not SemVer 2: %v", meta.Version, err)
	}
	caps, err := capabilities(kubeVersion)
	if err != nil {
		return err
	}
	if meta.KubeVersion != "" {
		c, err := semver.NewConstraint(meta.KubeVersion)
		if err != nil {
			return fmt.Errorf("Chart.yaml: kubeVersion %q: %v", meta.KubeVersion, err)
		}
		v, _ := semver.NewVersion(caps.KubeVersion.Version)
		if !c.Check(v) {
			return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", meta.KubeVersion, caps.KubeVersion.Version)
		}
	}

	values := map[string]interface{}{}
	if err := readYAML(filepath.Join(chartDir, "values.yaml"), &values); err != nil {
		return err
	}
	// helm: user values (files in order, then --set) coalesced over the chart's defaults
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		m := map[string]interface{}{}
		if err := readYAML(f, &m); err != nil {
			return err
		}
		user = mergeMaps(user, m)
	}
	for _, s := range sets {
		if err := parseSet(s, user); err != nil {
			return err
		}
	}
	values = coalesce(user, values)
	if valuesOut != "" {
		data, err := json.MarshalIndent(values, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(valuesOut, data, 0o644); err != nil {
			return err
		}
	}

	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Revision": 1, "IsUpgrade": false, "IsInstall": true, "Service": "Helm",
		},
		"Chart":        &meta,
		"Capabilities": caps,
		"Files":        map[string]interface{}{},
		"Subcharts":    map[string]interface{}{},
	}
	rendered, err := render(meta.Name, chartDir, top)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(rendered))
	for n := range rendered {
		names = append(names, n)
	}
	sort.Strings(names)
	var out strings.Builder
	for _, n := range names {
		if strings.HasSuffix(n, "NOTES.txt") {
			// rendered (so its errors surface) but, as in `helm template`, printed only with --notes
			if notes {
				fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", n, rendered[n])
			}
			continue
		}
		for _, doc := range splitManifests(rendered[n]) {
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", n, doc)
		}
	}
	_, err = os.Stdout.WriteString(out.String())
	return err
}

func capabilities(kubeVersion string) (*Capabilities, error) {
	v, err := semver.NewVersion(kubeVersion)
	if err != nil {
		return nil, fmt.Errorf("--kube-version %q: %v", kubeVersion, err)
	}
	apis := VersionSet{"v1", "apps/v1", "autoscaling/v1", "autoscaling/v2", "policy/v1", "batch/v1",
		"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1"}
	return &Capabilities{
		KubeVersion: KubeVersion{Version: "v" + v.String(), Major: strconv.FormatUint(v.Major(), 10), Minor: strconv.FormatUint(v.Minor(), 10)},
		APIVersions: apis,
		HelmVersion: map[string]string{"version": "v3-compatible (helm-render)"},
	}, nil
}

func readYAML(file string, into interface{}) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	return nil
}

// mergeMaps overlays src on dst (later -f files win), recursing into maps.
func mergeMaps(dst, src map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(dst))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce is Helm's CoalesceTables: user values win, defaults fill the gaps, a user null removes the key.
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, dv := range defaults {
		uv, present := user[k]
		switch {
		case !present:
			out[k] = dv
		case uv == nil:
			// deleted by the user
		default:
			um, uok := uv.(map[string]interface{})
			dm, dok := dv.(map[string]interface{})
			if uok && dok {
				out[k] = coalesce(um, dm)
			} else {
				out[k] = uv
			}
		}
	}
	for k, uv := range user {
		if _, done := defaults[k]; !done && uv != nil {
			out[k] = uv
		}
	}
	return out
}

// parseSet handles the common subset of Helm's --set: comma-separated a.b.c=value with true/false/null/integers typed.
func parseSet(expr string, into map[string]interface{}) error {
	for _, part := range strings.Split(expr, ",") {
		kv := strings.SplitN(part, "=", 2)
		if len(kv) != 2 || kv[0] == "" {
			return fmt.Errorf("--set %q: expected key=value", part)
		}
		var val interface{} = kv[1]
		switch kv[1] {
		case "true":
			val = true
		case "false":
			val = false
		case "null":
			val = nil
		default:
			if n, err := strconv.ParseInt(kv[1], 10, 64); err == nil {
				val = n
			}
		}
		keys := strings.Split(kv[0], ".")
		m := into
		for _, k := range keys[:len(keys)-1] {
			child, ok := m[k].(map[string]interface{})
			if !ok {
				child = map[string]interface{}{}
				m[k] = child
			}
			m = child
		}
		m[keys[len(keys)-1]] = val
	}
	return nil
}

func render(chartName, chartDir string, top map[string]interface{}) (map[string]string, error) {
	files := map[string]string{}
	tdir := filepath.Join(chartDir, "templates")
	err := filepath.Walk(tdir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tdir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[path.Join(chartName, "templates", filepath.ToSlash(rel))] = string(data)
		return nil
	})
	if err != nil {
		return nil, err
	}

	t := template.New("gotpl").Option("missingkey=zero")
	includedNames := map[string]int{}
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromYamlArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromJsonArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	funcs["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warn)
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warn)
		}
		return val, nil
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil // `helm template` has no cluster to look up either
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		defer func() { includedNames[name]-- }()
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		clone.Option("missingkey=zero")
		if _, err := clone.New("tpl").Parse(text); err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var buf strings.Builder
		if err := clone.ExecuteTemplate(&buf, "tpl", data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	t.Funcs(funcs)

	// Helm parses deeper paths first so that a parent chart's definitions win over a subchart's.
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		di, dj := strings.Count(keys[i], "/"), strings.Count(keys[j], "/")
		if di != dj {
			return di > dj
		}
		return keys[i] > keys[j]
	})
	for _, k := range keys {
		if _, err := t.New(k).Parse(files[k]); err != nil {
			return nil, fmt.Errorf("parse error in %s: %v", k, err)
		}
	}
	out := map[string]string{}
	for _, k := range keys {
		if strings.HasPrefix(path.Base(k), "_") || !(strings.HasSuffix(k, ".yaml") || strings.HasSuffix(k, ".yml") || strings.HasSuffix(k, ".tpl") || strings.HasSuffix(k, "NOTES.txt")) {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": k, "BasePath": path.Join(path.Dir(k))}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, k, top); err != nil {
			return nil, fmt.Errorf("render error in %s", cleanErr(err))
		}
		out[k] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

func cleanErr(err error) string { return strings.TrimPrefix(err.Error(), "template: ") }

// splitManifests cuts a rendered file into its YAML documents, dropping empty ones (releaseutil.SplitManifests).
func splitManifests(s string) []string {
	var docs []string
	var cur []string
	flush := func() {
		doc := strings.TrimRight(strings.TrimLeft(strings.Join(cur, "\n"), "\n"), " \t\n")
		if strings.TrimSpace(doc) != "" {
			docs = append(docs, doc)
		}
		cur = nil
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " \t") == "---" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return docs
}
