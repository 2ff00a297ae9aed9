// ./vad k8s validate (via validate.sh): offline checks of k8s/ and helm/vad.
//  1. kubectl kustomize k8s/ renders;
//  2. the chart renders (helm-render: Helm's engine on Go text/template + sprig) with default values, its values pass
//     values.schema.json, and it yields the same objects as k8s/ (same kinds and names, specs equal after normalising
//     list order and API defaults); with namespace.create=true it also yields k8s/'s Namespace;
//  3. every object (k8s/, k8s/secret.example.yaml, the chart under each scenario of tools/scenarios/) validates against
//     the Kubernetes API schemas (kubernetes-models) with unknown fields rejected, as the API server's strict field
//     validation does;
//  4. invariants of the deployment (probes, grace period, GPU requests, downward API, the configuration contract);
//  5. the checks themselves bite: values violating the schema, a grace period not above the shutdown timeout, and a
//     mutated k8s/ object are each rejected.
// Exit code 0 only when everything passes.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const chartDir = path.join(root, "helm/vad");
const renderer = process.env.VAD_HELM_RENDER ?? path.join(here, ".bin/helm-render");
const RELEASE = "vad", NAMESPACE = "vad";
const work = mkdtempSync(path.join(tmpdir(), "vad-k8s-"));
let failures = 0;
const ok = (msg) => console.log(`  ok   ${msg}`);
const fail = (msg) => { failures++; console.log(`  FAIL ${msg}`); };

// ---------- loading ----------------------------------------------------------------------------------------------
// Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml over go-yaml v2): 0440 is octal, yes/no are strings only
// when quoted, and so on; parse the same way.
function parseDocs(text, origin) {
  const docs = YAML.parseAllDocuments(text, { version: "1.1" });
  const objs = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${origin}: ${d.errors[0].message}`);
    const o = d.toJS();
    if (o != null) objs.push(o);
  }
  return objs;
}

function kustomize() {
  return parseDocs(execFileSync("kubectl", ["kustomize", path.join(root, "k8s")], { encoding: "utf8" }), "kubectl kustomize k8s/");
}

function helmRender(extraArgs = []) {
  const valuesOut = path.join(work, `values-${Math.random().toString(36).slice(2)}.json`);
  const out = execFileSync(renderer, ["--namespace", NAMESPACE, "--values-out", valuesOut, ...extraArgs, RELEASE, chartDir],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { objects: parseDocs(out, "helm-render"), values: JSON.parse(readFileSync(valuesOut, "utf8")) };
}

const key = (o) => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

// ---------- values schema ----------------------------------------------------------------------------------------
const ajv = new Ajv({ allErrors: true, strict: true });
const validateValues = ajv.compile(JSON.parse(readFileSync(path.join(chartDir, "values.schema.json"), "utf8")));
function valuesErrors(values) {
  return validateValues(values) ? [] : validateValues.errors.map((e) => `values${e.instancePath} ${e.message}`);
}

// ---------- Kubernetes API schemas (kubernetes-models) -------------------------------------------------------------
const schemaCache = new Map();
async function schemaFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const g = group.split(".")[0];
  const name = `IoK8sApi${g[0].toUpperCase()}${g.slice(1)}${version[0].toUpperCase()}${version.slice(1)}${kind}`;
  if (!schemaCache.has(name)) {
    try {
      schemaCache.set(name, (await import(`kubernetes-models/_schemas/${name}`)).validate);
    } catch {
      schemaCache.set(name, null);
    }
  }
  return schemaCache.get(name);
}

// Records every property the generated validator reads: the validators read each property their schema defines
// (and every entry of a map), so a field present in the object and never read is a field the API does not have.
function tracked(value, at, seen) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && Object.prototype.hasOwnProperty.call(target, prop)) {
        const p = `${at}/${prop}`;
        seen.add(p);
        return tracked(target[prop], p, seen);
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}
function unknownFields(value, at, seen, out) {
  if (value === null || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) {
    const p = `${at}/${k}`;
    if (!seen.has(p)) out.push(p);
    else unknownFields(v, p, seen, out);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

async function apiErrors(obj) {
  const errs = [];
  if (!obj.apiVersion || !obj.kind) return ["missing apiVersion/kind"];
  const validate = await schemaFor(obj.apiVersion, obj.kind);
  if (!validate) return [`no API schema for ${obj.apiVersion} ${obj.kind} (unknown kind or API version)`];
  const seen = new Set();
  if (!validate(tracked(obj, "", seen))) {
    for (const e of validate.errors) errs.push(`${e.instancePath || "/"} ${e.message ?? e.keyword} ${e.params ? JSON.stringify(e.params) : ""}`.trim());
  }
  const unknown = [];
  unknownFields(obj, "", seen, unknown);
  for (const u of unknown) errs.push(`${u}: unknown field`);
  const name = obj.metadata?.name ?? "";
  const nameOk = obj.kind === "Service" || obj.kind === "Namespace" ? DNS1123_LABEL.test(name) && name.length <= 63
    : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  if (!nameOk) errs.push(`metadata.name "${name}" is not a valid ${obj.kind} name`);
  const labelSets = [obj.metadata?.labels, obj.spec?.template?.metadata?.labels, obj.spec?.selector?.matchLabels, obj.spec?.selector];
  for (const labels of labelSets) {
    if (!labels || typeof labels !== "object") continue;
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== "string") continue;
      if (v.length > 63 || !LABEL_VALUE.test(v)) errs.push(`label ${k}="${v}" is not a valid label value`);
    }
  }
  // a workload's selector must select its own pod template
  const sel = obj.spec?.selector?.matchLabels, tl = obj.spec?.template?.metadata?.labels;
  if (sel && tl) for (const [k, v] of Object.entries(sel)) if (tl[k] !== v) errs.push(`selector ${k}=${v} does not match the pod template labels`);
  return errs;
}

async function validateAll(objs, label) {
  let bad = 0;
  for (const o of objs) {
    const errs = await apiErrors(o);
    if (errs.length) { bad++; fail(`${label}: ${o.kind} ${o.metadata?.name}: ${errs.slice(0, 8).join("; ")}`); }
  }
  if (!bad) ok(`${label}: ${objs.length} objects valid against the Kubernetes API schemas (unknown fields rejected)`);
  return bad === 0;
}

// ---------- normalisation and comparison -------------------------------------------------------------------------
const SUFFIX = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
function quantity(q) {
  if (typeof q === "number") return q;
  const m = /^([+-]?[0-9.]+)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(String(q));
  return m ? Number(m[1]) * SUFFIX[m[2] ?? ""] : q;
}
const PROBE_DEFAULTS = { initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
const HELM_ONLY_LABELS = ["helm.sh/chart", "app.kubernetes.io/managed-by"];

function normalise(value, at = []) {
  if (Array.isArray(value)) {
    const items = value.map((v, i) => normalise(v, [...at, String(i)]));
    const field = at[at.length - 1];
    // lists merged by name in the API are order-insensitive, except env (later entries may refer to earlier ones)
    if (field !== "env" && items.length && items.every((v) => v && typeof v === "object" && typeof v.name === "string")) {
      items.sort((a, b) => a.name.localeCompare(b.name));
    } else if (field === "tolerations" || field === "accessModes") {
      items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    return items;
  }
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    const p = [...at, k];
    const parent = at[at.length - 1];
    if ((parent === "requests" || parent === "limits") || k === "sizeLimit" || (k === "storage" && parent === "requests")) out[k] = quantity(v);
    else out[k] = normalise(v, p);
  }
  const field = at[at.length - 1];
  if (["startupProbe", "readinessProbe", "livenessProbe"].includes(field)) {
    for (const [k, d] of Object.entries(PROBE_DEFAULTS)) out[k] ??= d;
    if (out.httpGet) out.httpGet = { scheme: "HTTP", ...out.httpGet };
  }
  if (field === "ports" || /^\d+$/.test(field ?? "") && at[at.length - 2] === "ports") {
    if (out.containerPort !== undefined || out.port !== undefined) out.protocol ??= "TCP";
    if (out.port !== undefined) out.targetPort ??= out.port;
  }
  if (out.kind === "Service" && out.spec) out.spec.type ??= "ClusterIP";
  if (out.metadata?.labels && at.length === 0) {
    for (const l of HELM_ONLY_LABELS) delete out.metadata.labels[l];
  }
  return out;
}

function diff(a, b, at = "", out = []) {
  if (out.length > 20) return out;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    out.push(`${at || "/"}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
  } else if (a && typeof a === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (!(k in a)) out.push(`${at}/${k}: only in the chart (${JSON.stringify(b[k]).slice(0, 80)})`);
      else if (!(k in b)) out.push(`${at}/${k}: only in k8s/ (${JSON.stringify(a[k]).slice(0, 80)})`);
      else diff(a[k], b[k], `${at}/${k}`, out);
    }
    if (Array.isArray(a) && a.length !== b.length) out.push(`${at}: ${a.length} items in k8s/, ${b.length} in the chart`);
  } else if (a !== b) {
    out.push(`${at}: k8s/ ${JSON.stringify(a)} != chart ${JSON.stringify(b)}`);
  }
  return out;
}

function compareSets(expected, actual, label) {
  const e = new Map(expected.map((o) => [key(o), normalise(o)]));
  const a = new Map(actual.map((o) => [key(o), normalise(o)]));
  const problems = [];
  for (const k of e.keys()) if (!a.has(k)) problems.push(`${k}: in k8s/ but not rendered by the chart`);
  for (const k of a.keys()) if (!e.has(k)) problems.push(`${k}: rendered by the chart but not in k8s/`);
  for (const [k, v] of e) if (a.has(k)) for (const d of diff(v, a.get(k))) problems.push(`${k} ${d}`);
  if (problems.length) for (const p of problems.slice(0, 30)) fail(`${label}: ${p}`);
  else ok(`${label}: ${e.size} objects, same kinds, names and normalised specs`);
  return problems;
}

// ---------- deployment invariants --------------------------------------------------------------------------------
const CONTRACT = new Set(["VAD_CLUSTERING", "VAD_REDIS", "VAD_STORAGE", "VAD_ROLES", "VAD_GPU_DEVICES", "VAD_SERVICE_ID",
  "VAD_CLUSTER_ID", "VAD_SILO_PORT", "VAD_GATEWAY_PORT", "VAD_HTTP_PORT", "POD_NAME", "POD_IP", "VAD_MODEL",
  "VAD_SHUTDOWN_TIMEOUT_S", "VAD_TLS_CERT", "VAD_TLS_KEY", "VAD_TLS_CA", "VAD_DASHBOARD_USER", "VAD_DASHBOARD_PASSWORD",
  // the silo's optional extras (silo/README.md): failover tuning and log format, set only when the chart values are
  "VAD_MEMBERSHIP_PROBE_TIMEOUT_S", "VAD_MEMBERSHIP_MISSED_PROBES", "VAD_RESPONSE_TIMEOUT_S", "VAD_DIRECTORY_LEASE_S",
  "VAD_LOG_FORMAT"]);

function invariants(objs, label) {
  const errs = [];
  const silos = objs.filter((o) => o.kind === "Deployment" && o.spec.template.metadata?.labels?.["vad.io/silo"] === "true");
  if (!silos.length) errs.push("no silo Deployment");
  for (const d of silos) {
    const n = d.metadata.name, pod = d.spec.template.spec, c = pod.containers[0];
    const env = Object.fromEntries(c.env.map((e) => [e.name, e]));
    for (const e of c.env) if (!CONTRACT.has(e.name)) errs.push(`${n}: env ${e.name} is not in CONFIG-CONTRACT.md`);
    for (const req of ["VAD_CLUSTERING", "VAD_REDIS", "VAD_ROLES", "VAD_SERVICE_ID", "VAD_CLUSTER_ID", "VAD_SHUTDOWN_TIMEOUT_S", "POD_NAME", "POD_IP"]) {
      if (!env[req]) errs.push(`${n}: env ${req} missing`);
    }
    if (env.POD_NAME?.valueFrom?.fieldRef?.fieldPath !== "metadata.name") errs.push(`${n}: POD_NAME not from the downward API`);
    if (env.POD_IP?.valueFrom?.fieldRef?.fieldPath !== "status.podIP") errs.push(`${n}: POD_IP not from the downward API`);
    if (env.VAD_REDIS && !env.VAD_REDIS.valueFrom?.secretKeyRef) errs.push(`${n}: VAD_REDIS must come from a Secret`);
    const shutdown = Number(env.VAD_SHUTDOWN_TIMEOUT_S?.value);
    if (!(pod.terminationGracePeriodSeconds > shutdown)) errs.push(`${n}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= VAD_SHUTDOWN_TIMEOUT_S ${shutdown}`);
    const probe = (p, pathWanted) => p?.httpGet?.path === pathWanted && (p.httpGet.port === "http" || p.httpGet.port === Number(env.VAD_HTTP_PORT?.value));
    if (!probe(c.readinessProbe, "/health/ready")) errs.push(`${n}: readinessProbe is not GET /health/ready on the http port`);
    if (!probe(c.livenessProbe, "/health/live")) errs.push(`${n}: livenessProbe is not GET /health/live on the http port`);
    if (!probe(c.startupProbe, "/health/live")) errs.push(`${n}: startupProbe is not GET /health/live on the http port`);
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) errs.push(`${n}: cpu/memory requests missing`);
    if (pod.securityContext?.runAsNonRoot !== true || c.securityContext?.allowPrivilegeEscalation !== false) errs.push(`${n}: not locked down (runAsNonRoot, allowPrivilegeEscalation)`);
    const roles = (env.VAD_ROLES?.value ?? "").split(",");
    if (roles.includes("gpu")) {
      const gpus = Number(c.resources?.limits?.["nvidia.com/gpu"]);
      if (!(gpus >= 1)) errs.push(`${n}: gpu role without an nvidia.com/gpu limit`);
      const devices = (env.VAD_GPU_DEVICES?.value ?? "").split(",").filter(Boolean);
      if (devices.length !== gpus) errs.push(`${n}: VAD_GPU_DEVICES "${env.VAD_GPU_DEVICES?.value}" does not list ${gpus} devices`);
      if (!pod.tolerations?.some((t) => t.key === "nvidia.com/gpu")) errs.push(`${n}: no toleration for GPU node taints`);
      if (!pod.nodeSelector || !Object.keys(pod.nodeSelector).length) errs.push(`${n}: GPU silo without a node selector`);
    } else if (c.resources?.limits?.["nvidia.com/gpu"]) errs.push(`${n}: non-GPU silo requests a GPU`);
    if (env.VAD_TLS_CERT) {
      const mount = c.volumeMounts?.find((m) => env.VAD_TLS_CERT.value.startsWith(m.mountPath + "/"));
      const vol = mount && pod.volumes?.find((v) => v.name === mount.name);
      if (!vol?.secret?.secretName) errs.push(`${n}: VAD_TLS_CERT is not on a Secret volume`);
    }
  }
  const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler");
  if (hpa && !objs.some((o) => o.kind === hpa.spec.scaleTargetRef.kind && o.metadata.name === hpa.spec.scaleTargetRef.name)) {
    errs.push(`HPA ${hpa.metadata.name} targets a missing ${hpa.spec.scaleTargetRef.name}`);
  }
  const scaled = hpa && objs.find((o) => o.kind === hpa.spec.scaleTargetRef.kind && o.metadata.name === hpa.spec.scaleTargetRef.name);
  if (scaled && scaled.spec.replicas !== undefined) errs.push(`${scaled.metadata.name} sets replicas although ${hpa.metadata.name} owns them`);
  for (const pdb of objs.filter((o) => o.kind === "PodDisruptionBudget")) {
    const sel = pdb.spec.selector.matchLabels;
    if (!objs.some((o) => o.spec?.template && Object.entries(sel).every(([k, v]) => o.spec.template.metadata.labels[k] === v))) {
      errs.push(`PDB ${pdb.metadata.name} selects no workload`);
    }
  }
  for (const svc of objs.filter((o) => o.kind === "Service")) {
    const sel = svc.spec.selector ?? {};
    const targets = objs.filter((o) => o.spec?.template && Object.entries(sel).every(([k, v]) => o.spec.template.metadata.labels[k] === v));
    if (!targets.length) errs.push(`Service ${svc.metadata.name} selects no pods`);
    for (const p of svc.spec.ports) {
      if (typeof p.targetPort === "string" && !targets.some((t) => t.spec.template.spec.containers.some((c) => c.ports?.some((cp) => cp.name === p.targetPort)))) {
        errs.push(`Service ${svc.metadata.name} port ${p.name} targets a named port no pod has`);
      }
    }
  }
  if (errs.length) for (const e of errs) fail(`${label}: ${e}`);
  else ok(`${label}: deployment invariants hold (${silos.length} silo Deployments: probes, grace > shutdown, GPU, downward API, contract env)`);
  return errs;
}

// ---------- main ---------------------------------------------------------------------------------------------------
try {
  console.log("k8s/ (kubectl kustomize)");
  const k8s = kustomize();
  ok(`kubectl kustomize k8s/: ${k8s.length} objects (${[...new Set(k8s.map((o) => o.kind))].join(", ")})`);
  await validateAll(k8s, "k8s/");
  invariants(k8s, "k8s/");
  const examples = parseDocs(readFileSync(path.join(root, "k8s/secret.example.yaml"), "utf8"), "secret.example.yaml");
  await validateAll(examples, "k8s/secret.example.yaml");
  const referenced = new Set(JSON.stringify(k8s).match(/"(secretName|name)":"vad-[a-z-]+"/g) ?? []);
  for (const s of examples) {
    if (![...referenced].some((r) => r.endsWith(`"${s.metadata.name}"`))) fail(`secret.example.yaml: ${s.metadata.name} is referenced by no object`);
  }

  console.log("helm/vad (helm-render, default values)");
  const def = helmRender();
  const ve = valuesErrors(def.values);
  if (ve.length) fail(`default values do not pass values.schema.json: ${ve.join("; ")}`); else ok("default values pass values.schema.json");
  await validateAll(def.objects, "chart (defaults)");
  const k8sNoNs = k8s.filter((o) => o.kind !== "Namespace");
  compareSets(k8sNoNs, def.objects, "chart (defaults) vs k8s/ without its Namespace (helm install --create-namespace)");
  const withNs = helmRender(["--set", "namespace.create=true"]);
  compareSets(k8s, withNs.objects, "chart (namespace.create=true) vs k8s/");

  console.log("helm/vad scenarios (k8s/tools/scenarios/*.yaml)");
  const scenDir = path.join(here, "scenarios");
  for (const f of readdirSync(scenDir).filter((f) => f.endsWith(".yaml")).sort()) {
    const file = path.join(scenDir, f);
    let r;
    try {
      r = helmRender(["-f", file]);
    } catch (e) {
      fail(`${f}: render failed: ${String(e.stderr ?? e.message).trim()}`);
      continue;
    }
    const errs = valuesErrors(r.values);
    if (errs.length) { fail(`${f}: values rejected by values.schema.json: ${errs.join("; ")}`); continue; }
    await validateAll(r.objects, f);
    invariants(r.objects, f);
    // each scenario states what it must and must not render in <scenario>.expect.json
    const failuresBefore = failures;
    const expect = JSON.parse(readFileSync(file.replace(/\.yaml$/, ".expect.json"), "utf8"));
    const names = new Set(r.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    for (const n of expect.present ?? []) if (!names.has(n)) fail(`${f}: expected ${n}`);
    for (const n of expect.absent ?? []) if (names.has(n)) fail(`${f}: did not expect ${n}`);
    const text = JSON.stringify(r.objects);
    for (const s of expect.contains ?? []) if (!text.includes(s)) fail(`${f}: expected the rendered objects to contain ${s}`);
    for (const s of expect.lacks ?? []) if (text.includes(s)) fail(`${f}: expected the rendered objects not to contain ${s}`);
    if (failures === failuresBefore) ok(`${f}: ${r.objects.length} objects, expectations of ${path.basename(file, ".yaml")}.expect.json met`);
  }

  console.log("helm-render fidelity (fixtures/idioms: Helm idioms with known helm template output)");
  {
    const fixture = path.join(here, "fixtures/idioms");
    const out = execFileSync(renderer, ["--namespace", "test-ns", "rel", fixture], { encoding: "utf8" });
    const expected = JSON.parse(readFileSync(path.join(here, "fixtures/idioms.expected.json"), "utf8"));
    const got = parseDocs(out, "fixtures/idioms");
    const d = diff(expected, got);
    if (d.length) fail(`fixtures/idioms renders differently from helm template: ${d.join("; ")}`);
    else ok("include, tpl, required, toYaml/nindent, default, quote, b64enc, fromYaml, semverCompare, .Template, .Capabilities, <no value> removal, empty documents, YAML 1.1 values: as helm template");
    try {
      execFileSync(renderer, ["--set", "name=null", "rel", fixture], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      fail("fixtures/idioms rendered without its required value");
    } catch (e) {
      if (/name is required/.test(String(e.stderr))) ok("required fails the render with its message"); else fail(`required: unexpected ${e.stderr}`);
    }
    try {
      execFileSync(renderer, ["--kube-version", "v1.24.0", "rel", fixture], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      fail("fixtures/idioms rendered for a Kubernetes older than its kubeVersion");
    } catch (e) {
      if (/incompatible with Kubernetes v1.24.0/.test(String(e.stderr))) ok("Chart.yaml kubeVersion is enforced"); else fail(`kubeVersion: unexpected ${e.stderr}`);
    }
  }

  console.log("self-checks (the checks reject what they should)");
  const bad = structuredClone(def.values);
  bad.silo.gpu.gpuCount = "two"; bad.storage = "Cassandra"; bad.unexpected = 1;
  const be = valuesErrors(bad);
  if (be.length >= 3) ok(`values.schema.json rejects bad values (${be.length} errors)`); else fail(`values.schema.json accepted bad values (${be.join("; ")})`);
  {
    // failover tuning: a zero or negative probe timeout (or any zero/negative failover value) is refused
    const rejected = [0, -2].map((v) => {
      const vals = structuredClone(def.values);
      vals.failover = { ...(vals.failover ?? {}), membershipProbeTimeoutSeconds: v };
      return valuesErrors(vals).some((e) => e.startsWith("values/failover/membershipProbeTimeoutSeconds"));
    });
    const unsetOk = [null, ""].every((v) => {
      const vals = structuredClone(def.values);
      vals.failover = { ...(vals.failover ?? {}), membershipProbeTimeoutSeconds: v };
      return valuesErrors(vals).length === 0;
    });
    if (rejected.every(Boolean) && unsetOk) ok("values.schema.json rejects a zero or negative failover.membershipProbeTimeoutSeconds, accepts null/empty (unset)");
    else fail(`failover.membershipProbeTimeoutSeconds: rejected 0/-2 = ${rejected.join("/")}, null/empty accepted = ${unsetOk}`);
  }
  try {
    helmRender(["--set", "terminationGracePeriodSeconds=30,shutdownTimeoutSeconds=30"]);
    fail("the chart rendered with terminationGracePeriodSeconds <= shutdownTimeoutSeconds");
  } catch (e) {
    if (/must be longer/.test(String(e.stderr))) ok("the chart refuses terminationGracePeriodSeconds <= shutdownTimeoutSeconds");
    else fail(`unexpected render failure: ${e.stderr}`);
  }
  const mutated = structuredClone(k8s);
  const dep = mutated.find((o) => o.kind === "Deployment");
  dep.spec.template.spec.containers[0].readinessProbe.httpGet.path = "/healthz";
  dep.spec.template.spec.containers[0].bogusField = true;
  dep.spec.replicas = "3";
  const before = failures;
  const savedLog = console.log;
  console.log = () => {};
  const cmp = compareSets(k8sNoNs.map((o) => (key(o) === key(dep) ? dep : o)), def.objects, "mutated");
  const inv = invariants(mutated, "mutated");
  const api = await apiErrors(dep);
  console.log = savedLog;
  failures = before;
  if (cmp.length && inv.length && api.some((e) => e.includes("bogusField")) && api.some((e) => e.includes("replicas"))) {
    ok("a mutated Deployment is caught by the comparison, the invariants and the API schema (unknown field, wrong type)");
  } else fail(`a mutated Deployment slipped through (compare ${cmp.length}, invariants ${inv.length}, api ${api.join("; ")})`);
} catch (e) {
  fail(String(e.stderr ?? "") + (e.stack ?? e));
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failures) { console.log(`k8s validate: ${failures} check(s) FAILED`); process.exit(1); }
console.log("k8s validate: all checks passed");
