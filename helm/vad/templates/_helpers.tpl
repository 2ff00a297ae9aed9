{{/* Name prefix of every object: the release name, or <release>-vad when the release name does not contain "vad". */}}
{{- define "vad.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "vad.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every object; call with (dict "ctx" $ "component" "silo-cpu"), component optional. */}}
{{- define "vad.labels" -}}
{{ include "vad.selectorLabels" .ctx }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "vad.image" -}}
{{- $tag := .ctx.Values.image.tag | default .ctx.Chart.AppVersion -}}
{{- if .ctx.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .ctx.Values.image.registry) .repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "vad.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "vad.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "vad.checkShutdown" -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.shutdownTimeoutSeconds) -}}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be longer than shutdownTimeoutSeconds (%v): the kubelet would kill silos mid-drain" .Values.terminationGracePeriodSeconds .Values.shutdownTimeoutSeconds) -}}
{{- end -}}
{{- end -}}

{{/*
One silo Deployment: the same program for every role, VAD_ROLES tells it which grains it hosts.
Call with (dict "ctx" $ "role" "cpu|gpu|trainer" "component" "silo-cpu" "cfg" .Values.silo.cpu).
*/}}
{{- define "vad.siloDeployment" -}}
{{- $ := .ctx -}}
{{- $cfg := .cfg -}}
{{- $name := printf "%s-%s" (include "vad.fullname" $) .component -}}
{{- include "vad.checkShutdown" $ }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "vad.labels" (dict "ctx" $ "component" .component) | nindent 4 }}
spec:
  {{- if not (and (eq .role "cpu") (dig "autoscaling" "enabled" false $cfg)) }}
  replicas: {{ $cfg.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "vad.selectorLabels" $ | nindent 6 }}
      app.kubernetes.io/component: {{ .component }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      {{- if eq .role "cpu" }}
      maxSurge: 1
      maxUnavailable: 0
      {{- else }}
      maxSurge: 0
      maxUnavailable: 1
      {{- end }}
  template:
    metadata:
      labels:
        {{- include "vad.selectorLabels" $ | nindent 8 }}
        app.kubernetes.io/version: {{ $.Chart.AppVersion | quote }}
        app.kubernetes.io/component: {{ .component }}
        vad.io/silo: "true"
      {{- if $.Values.metrics.podAnnotations }}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $.Values.ports.http | quote }}
        prometheus.io/path: /metrics
      {{- end }}
    spec:
      serviceAccountName: {{ include "vad.serviceAccountName" $ }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ $.Values.terminationGracePeriodSeconds }}
      {{- with $.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 1654
        runAsGroup: 1654
        fsGroup: 1654
        seccompProfile:
          type: RuntimeDefault
      {{- with $cfg.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $cfg.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "vad.selectorLabels" $ | nindent 14 }}
              app.kubernetes.io/component: {{ .component }}
      containers:
        - name: silo
          image: {{ include "vad.image" (dict "ctx" $ "repository" $cfg.image) }}
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.podIP
            - name: VAD_CLUSTERING
              value: Redis
            - name: VAD_STORAGE
              value: {{ $.Values.storage }}
            - name: VAD_REDIS
              valueFrom:
                secretKeyRef:
                  name: {{ $.Values.redis.existingSecret }}
                  key: {{ $.Values.redis.configurationKey }}
            - name: VAD_SERVICE_ID
              value: {{ $.Values.cluster.serviceId | quote }}
            - name: VAD_CLUSTER_ID
              value: {{ $.Values.cluster.clusterId | quote }}
            - name: VAD_ROLES
              value: {{ .role }}
            {{- if eq .role "gpu" }}
            - name: VAD_GPU_DEVICES
              value: {{ until (int $cfg.gpuCount) | join "," | quote }}
            {{- end }}
            - name: VAD_SILO_PORT
              value: {{ $.Values.ports.silo | quote }}
            - name: VAD_GATEWAY_PORT
              value: {{ $.Values.ports.gateway | quote }}
            - name: VAD_HTTP_PORT
              value: {{ $.Values.ports.http | quote }}
            - name: VAD_MODEL
              value: {{ $.Values.model | quote }}
            - name: VAD_SHUTDOWN_TIMEOUT_S
              value: {{ $.Values.shutdownTimeoutSeconds | quote }}
            {{- /* optional failover tuning and log format: rendered only when set (unset = the silo's defaults) */}}
            {{- $failover := $.Values.failover | default dict }}
            {{- with $failover.membershipProbeTimeoutSeconds }}
            - name: VAD_MEMBERSHIP_PROBE_TIMEOUT_S
              value: {{ . | int | quote }}
            {{- end }}
            {{- with $failover.membershipMissedProbes }}
            - name: VAD_MEMBERSHIP_MISSED_PROBES
              value: {{ . | int | quote }}
            {{- end }}
            {{- with $failover.responseTimeoutSeconds }}
            - name: VAD_RESPONSE_TIMEOUT_S
              value: {{ . | int | quote }}
            {{- end }}
            {{- with $failover.directoryLeaseSeconds }}
            - name: VAD_DIRECTORY_LEASE_S
              value: {{ . | int | quote }}
            {{- end }}
            {{- with $.Values.logFormat }}
            - name: VAD_LOG_FORMAT
              value: {{ . | quote }}
            {{- end }}
            {{- if $.Values.tls.enabled }}
            - name: VAD_TLS_CERT
              value: /etc/vad/tls/tls.crt
            - name: VAD_TLS_KEY
              value: /etc/vad/tls/tls.key
            - name: VAD_TLS_CA
              value: /etc/vad/tls/ca.crt
            {{- end }}
            {{- if $.Values.dashboard.existingSecret }}
            - name: VAD_DASHBOARD_USER
              valueFrom:
                secretKeyRef:
                  name: {{ $.Values.dashboard.existingSecret }}
                  key: username
                  optional: true
            - name: VAD_DASHBOARD_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ $.Values.dashboard.existingSecret }}
                  key: password
                  optional: true
            {{- end }}
          ports:
            - name: silo
              containerPort: {{ $.Values.ports.silo }}
              protocol: TCP
            - name: gateway
              containerPort: {{ $.Values.ports.gateway }}
              protocol: TCP
            - name: http
              containerPort: {{ $.Values.ports.http }}
              protocol: TCP
          startupProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 5
            failureThreshold: 36
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 3
          livenessProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          resources:
            {{- $res := deepCopy $cfg.resources }}
            {{- if eq .role "gpu" }}
            {{- $_ := set $res "requests" (merge (dict "nvidia.com/gpu" (int $cfg.gpuCount)) ($res.requests | default dict)) }}
            {{- $_ := set $res "limits" (merge (dict "nvidia.com/gpu" (int $cfg.gpuCount)) ($res.limits | default dict)) }}
            {{- end }}
            {{- toYaml $res | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            {{- if $.Values.tls.enabled }}
            - name: tls
              mountPath: /etc/vad/tls
              readOnly: true
            {{- end }}
            - name: tmp
              mountPath: /tmp
            {{- if eq .role "trainer" }}
            - name: work
              mountPath: /app/runs
            {{- end }}
      volumes:
        {{- if $.Values.tls.enabled }}
        - name: tls
          secret:
            secretName: {{ $.Values.tls.existingSecret }}
            defaultMode: 0440
        {{- end }}
        - name: tmp
          emptyDir:
            sizeLimit: 1Gi
        {{- if eq .role "trainer" }}
        - name: work
          emptyDir:
            sizeLimit: {{ $cfg.workSizeLimit }}
        {{- end }}
{{- end -}}

{{- define "vad.pdb" -}}
{{- $ := .ctx }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "vad.fullname" $ }}-{{ .component }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "vad.labels" (dict "ctx" $ "component" .component) | nindent 4 }}
spec:
  maxUnavailable: {{ .cfg.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "vad.selectorLabels" $ | nindent 6 }}
      app.kubernetes.io/component: {{ .component }}
{{- end -}}
