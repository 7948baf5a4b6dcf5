# cxkpi as a small static image: docker build -t cxkpi . && docker run --rm -v "$PWD/out:/data/out" cxkpi run
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /cxkpi ./cmd/cxkpi

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /cxkpi /cxkpi
WORKDIR /data
ENTRYPOINT ["/cxkpi"]
CMD ["run"]
