{{/* Chart name, overridable. */}}
{{- define "wabsp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name. Kept to 52 characters so that suffixes such as
"-scheduler" and "-migrate" stay inside the 63-character label limit.
*/}}
{{- define "wabsp.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "wabsp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "wabsp.labels" -}}
helm.sh/chart: {{ include "wabsp.chart" . }}
app.kubernetes.io/name: {{ include "wabsp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: wabsp
{{- end }}

{{/*
Labels selecting one component's pods. Call with
(dict "ctx" $ "component" "api").
*/}}
{{- define "wabsp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wabsp.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of one component's objects: the common ones plus the component. */}}
{{- define "wabsp.componentLabels" -}}
{{ include "wabsp.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "wabsp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "wabsp.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "wabsp.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret every pod reads its secret variables from. */}}
{{- define "wabsp.secretName" -}}
{{- default (include "wabsp.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
Secret variables from values, empty ones left out so the binary reports what
is missing by name. Rendered as YAML so that secret.yaml and the checksum
annotation share one source.
*/}}
{{- define "wabsp.secretData" -}}
{{- $data := dict
  "WABSP_DATABASE_URL" .Values.database.url
  "WABSP_REDIS_PASSWORD" .Values.redis.password
  "WABSP_REDIS_SENTINEL_PASSWORD" .Values.redis.sentinelPassword
  "WABSP_REDIS_URL" .Values.redis.url
  "WABSP_JWT_KEYS" .Values.secrets.jwtKeys
  "WABSP_ENCRYPTION_KEYS" .Values.secrets.encryptionKeys
  "WABSP_META_APP_SECRETS" .Values.secrets.metaAppSecrets
  "WABSP_META_VERIFY_TOKEN" .Values.secrets.metaVerifyToken }}
{{- range $k, $v := $data }}
{{- if $v }}
{{ $k }}: {{ $v | toString | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A value as an environment string. YAML numbers reach templates as float64,
which would print 3145728 as 3.145728e+06; whole numbers are printed as
integers. null is the empty string.
*/}}
{{- define "wabsp.envString" -}}
{{- if kindIs "invalid" . }}
{{- else if and (kindIs "float64" .) (eq . (floor .)) }}
{{- int64 . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
Non-secret variables: the env map without empty values, plus the settings the
chart derives from its own values. Rendered as YAML for the ConfigMap, the
migration Job and the checksum annotation.
*/}}
{{- define "wabsp.configData" -}}
{{- $data := dict }}
{{- range $k, $v := .Values.env }}
{{- $s := include "wabsp.envString" $v }}
{{- if ne $s "" }}
{{- $_ := set $data $k $s }}
{{- end }}
{{- end }}
{{- $_ := set $data "WABSP_HTTP_ADDR" (printf ":%d" (int .Values.api.containerPort)) }}
{{- $_ := set $data "WABSP_DATABASE_MAX_CONNS" (include "wabsp.envString" .Values.database.maxConns) }}
{{- $_ := set $data "WABSP_REDIS_DB" (include "wabsp.envString" .Values.redis.db) }}
{{- with .Values.redis.addr }}
{{- $_ := set $data "WABSP_REDIS_ADDR" . }}
{{- end }}
{{- $redis := dict
  "WABSP_REDIS_USERNAME" .Values.redis.username
  "WABSP_REDIS_SENTINEL_ADDRS" .Values.redis.sentinelAddrs
  "WABSP_REDIS_MASTER_NAME" .Values.redis.masterName
  "WABSP_REDIS_CLUSTER_ADDRS" .Values.redis.clusterAddrs
  "WABSP_REDIS_TLS_CA_FILE" .Values.redis.tlsCAFile
  "WABSP_REDIS_TLS_SERVER_NAME" .Values.redis.tlsServerName }}
{{- range $k, $v := $redis }}
{{- if $v }}
{{- $_ := set $data $k $v }}
{{- end }}
{{- end }}
{{- if .Values.redis.tls }}
{{- $_ := set $data "WABSP_REDIS_TLS" "true" }}
{{- end }}
{{- with .Values.redis.waitReplicas }}
{{- $_ := set $data "WABSP_REDIS_WAIT_REPLICAS" (include "wabsp.envString" .) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/* Annotations that roll the pods when configuration or secrets change. */}}
{{- define "wabsp.checksums" -}}
checksum/config: {{ include "wabsp.configData" . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include "wabsp.secretData" . | sha256sum }}
{{- end }}
{{- end }}

{{/*
Pod-level settings every workload shares. Call with (dict "ctx" $ "sa" name);
the migration Job passes its own service account.
*/}}
{{- define "wabsp.podSpecCommon" -}}
{{- $ := .ctx -}}
serviceAccountName: {{ .sa }}
automountServiceAccountToken: false
{{- with $.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $.Values.podSecurityContext | nindent 2 }}
{{- with $.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end }}

{{/* Container settings every wabsp container shares. */}}
{{- define "wabsp.containerCommon" -}}
image: {{ include "wabsp.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{/* envFrom for the long-running components. */}}
{{- define "wabsp.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "wabsp.fullname" . }}
  - secretRef:
      name: {{ include "wabsp.secretName" . }}
{{- end }}

{{/* Pod labels of one component. Call with (dict "ctx" $ "component" "api"). */}}
{{- define "wabsp.podLabels" -}}
{{ include "wabsp.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
{{- with .ctx.Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
A CPU-utilisation HorizontalPodAutoscaler for one component's Deployment.
Call with (dict "ctx" $ "component" "api" "autoscaling" .Values.api.autoscaling).
*/}}
{{- define "wabsp.hpa" -}}
{{- $a := .autoscaling }}
{{- if gt (int $a.minReplicas) (int $a.maxReplicas) }}
{{- fail (printf "%s.autoscaling: minReplicas (%v) exceeds maxReplicas (%v)" .component $a.minReplicas $a.maxReplicas) }}
{{- end }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "wabsp.fullname" .ctx }}-{{ .component }}
  labels:
    {{- include "wabsp.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "wabsp.fullname" .ctx }}-{{ .component }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $a.targetCPUUtilizationPercentage }}
{{- end }}

{{/*
A PodDisruptionBudget for one component.
Call with (dict "ctx" $ "component" "api" "pdb" .Values.api.podDisruptionBudget).
*/}}
{{- define "wabsp.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "wabsp.fullname" .ctx }}-{{ .component }}
  labels:
    {{- include "wabsp.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "wabsp.selectorLabels" . | nindent 6 }}
{{- end }}
