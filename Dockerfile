FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Pango, HarfBuzz's subsetter and DejaVu: WeasyPrint's PDF documents (org.documents). OpenLDAP's and SASL's
# headers and a compiler: python-ldap (org.sso) builds against them.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
        gcc libc6-dev libldap2-dev libsasl2-dev \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && rm -rf build
COPY . .
RUN if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; fi \
    && SECRET_KEY=build DEBUG=0 python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /data/media && chown -R app /data /app
USER app
EXPOSE 8000
