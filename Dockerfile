# cxkpi as a small static image that runs unprivileged:
#   docker build -t cxkpi .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/out:/data/out" cxkpi run
# docs/operations.md ("In a container") says more. The build image is
# pinned by digest (the multi-platform index of golang:1.26 when it was
# pinned), so that a rebuild of the same commit uses the same toolchain;
# move it deliberately, or override it: --build-arg GO_IMAGE=golang:1.26.
# The image itself is FROM scratch: nothing else to pin.
ARG GO_IMAGE=golang:1.26@sha256:3aff6657219a4d9c14e27fb1d8976c49c29fddb70ba835014f477e1c70636647
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /rootfs/cxkpi ./cmd/cxkpi
# The image has no shell to make directories at run time: /tmp (Parquet
# inputs are spooled there) and /data/out exist, writable by any user, so
# that --user UID:GID works with or without a mounted output directory.
RUN mkdir -p /rootfs/tmp /rootfs/data/out /rootfs/etc/ssl/certs \
 && chmod 1777 /rootfs/tmp /rootfs/data /rootfs/data/out \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && echo 'cxkpi:x:65532:65532:cxkpi:/data:/cxkpi' > /rootfs/etc/passwd \
 && echo 'cxkpi:x:65532:' > /rootfs/etc/group

FROM scratch
ARG VERSION=
LABEL org.opencontainers.image.title="cxkpi" \
      org.opencontainers.image.description="Customer-experience KPIs from helpdesk, survey and commerce exports, as Parquet and PDF" \
      org.opencontainers.image.source="https://github.com/cxkpi/cxkpi" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /rootfs/ /
USER 65532:65532
WORKDIR /data
ENTRYPOINT ["/cxkpi"]
CMD ["run"]
