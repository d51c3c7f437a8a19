{{/*
Helm's standard labels plus commonLabels, on every object the chart templates. The selectors keep the labels of
deploy/workloads only (a selector cannot change after install, and a release name in it would tie the pods to it).
*/}}
{{- define "bgplb.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The labels and annotations of an object's metadata: (dict "root" $ "labels" (dict ...)), labels optional. */}}
{{- define "bgplb.metadata" -}}
labels:
  {{- with .labels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- include "bgplb.labels" .root | nindent 2 }}
{{- with .root.Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "bgplb.selector" -}}
app.kubernetes.io/name: bgplb
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/*
A pod template's metadata: the selector's labels (which podLabels and commonLabels cannot override, or the
workload would lose its pods), then podLabels, commonLabels; podAnnotations, commonAnnotations.
(dict "root" $ "component" "controller" "role" .Values.controller)
*/}}
{{- define "bgplb.podMetadata" -}}
labels:
  {{- merge (include "bgplb.selector" .component | fromYaml) .role.podLabels .root.Values.commonLabels | toYaml | nindent 2 }}
{{- with merge (dict) .role.podAnnotations .root.Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The container's image and pull policy; no pullPolicy: Kubernetes' default for the tag. */}}
{{- define "bgplb.image" -}}
image: {{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) | quote }}
{{- with .Values.image.pullPolicy }}
imagePullPolicy: {{ . }}
{{- end }}
{{- end }}

{{/* The options both roles take from the values; each only when set, so that empty means the daemon's default. */}}
{{- define "bgplb.commonArgs" -}}
{{- with .Values.loadBalancerClass }}
- --load-balancer-class={{ . }}
{{- end }}
{{- with .Values.logLevel }}
- --log-level={{ . }}
{{- end }}
{{- with .Values.logFormat }}
- --log-format={{ . }}
{{- end }}
{{- end }}

{{/*
A pod spec's scheduling and pull values: (dict "root" $ "role" .Values.controller "affinity" DEFAULT); the role's
affinity replaces DEFAULT as a whole (a map in values would be merged into it key by key).
*/}}
{{- define "bgplb.podScheduling" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .role.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.affinity | default .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The controller's default affinity: replicas on distinct nodes when there are enough. */}}
{{- define "bgplb.controllerAffinity" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "bgplb.selector" "controller" | nindent 12 }}
{{- end }}
